// mysql2 inlines the parameter values into the SQL text it sends (client-side formatting) and
// puts that text on every error as `err.sql`; the server's message may quote a value too
// ("Duplicate entry '…'"). Whoever logs such an error would log a claim's env secrets, so errors
// are cleaned where they come out of mysql2, before Kysely, the controller or a route sees them.
import type { MysqlPool, MysqlPoolConnection, MysqlQueryResult } from 'kysely';
import type { Pool, PoolConnection, QueryError, ResultSetHeader, RowDataPacket } from 'mysql2';

/** REDACTED_VALUE is used in place of a value quoted by a MySQL/MariaDB error message. */
export const REDACTED_VALUE = "'[value redacted]'";

// A quoted literal with SQL escapes ('' and \'), as the server quotes values in its messages.
const QUOTED = String.raw`'(?:[^'\\]|\\.|'')*'`;
const VALUE_BEFORE = [
  new RegExp(String.raw`(Duplicate entry )${QUOTED}`, 'g'),
  new RegExp(String.raw`(value: )${QUOTED}`, 'gi'),
  new RegExp(String.raw`(to the value of )${QUOTED}`, 'gi'),
  new RegExp(String.raw`(value )${QUOTED}( for column)`, 'gi'),
];
// A syntax error quotes the statement from where parsing failed, inlined values and all.
const NEAR = /(near )'[\s\S]*'( at line \d+)/g;

/** redactMysqlMessage is used to drop the values a MySQL/MariaDB error message may quote. */
export function redactMysqlMessage(message: string): string {
  let out = message.replace(NEAR, `$1${REDACTED_VALUE}$2`);
  for (const re of VALUE_BEFORE) {
    out = out.replace(re, (_m, before: string, after?: string) => {
      return `${before}${REDACTED_VALUE}${typeof after === 'string' ? after : ''}`;
    });
  }
  return out;
}

/**
 * redactMysqlError is used on every error of a statement: `sql` becomes the statement as Kysely
 * compiled it (placeholders, no values), and message, sqlMessage and stack lose quoted values.
 */
export function redactMysqlError(err: unknown, statement: string): void {
  if (!(err instanceof Error)) return;
  const original = err.message;
  const message = redactMysqlMessage(original);
  err.message = message;
  if (err.stack !== undefined) err.stack = err.stack.replace(original, message);
  if ('sqlMessage' in err && typeof err.sqlMessage === 'string') {
    Reflect.set(err, 'sqlMessage', redactMysqlMessage(err.sqlMessage));
  }
  if ('sql' in err) Reflect.set(err, 'sql', statement);
}

type QueryCallback = (error: unknown, result: MysqlQueryResult) => void;

function redactingConnection(conn: PoolConnection): MysqlPoolConnection {
  function query(sql: string, parameters: unknown[]): ReturnType<PoolConnection['query']>;
  function query(sql: string, parameters: unknown[], callback: QueryCallback): void;
  function query(
    sql: string,
    parameters: unknown[],
    callback?: QueryCallback,
  ): ReturnType<PoolConnection['query']> | undefined {
    if (callback === undefined) {
      // Streaming: the error event reaches our listener before the stream's.
      return conn.query(sql, parameters).on('error', (e: QueryError) => redactMysqlError(e, sql));
    }
    conn.query<ResultSetHeader | RowDataPacket[]>(sql, parameters, (err, result) => {
      if (err) redactMysqlError(err, sql);
      callback(err, result);
    });
    return undefined;
  }
  return { query, release: () => conn.release() };
}

/** redactingPool is used to hand Kysely's MysqlDialect a mysql2 pool whose errors carry no values. */
export function redactingPool(pool: Pool): MysqlPool {
  // One wrapper per pooled connection, handed out again each time: Kysely knows a connection by
  // this object and runs its onCreateConnection setup (a round trip) for every one it has not
  // seen, which with a fresh wrapper per checkout was every transaction and every query.
  const wrappers = new WeakMap<PoolConnection, MysqlPoolConnection>();
  const wrapperOf = (conn: PoolConnection): MysqlPoolConnection => {
    let wrapper = wrappers.get(conn);
    if (!wrapper) {
      wrapper = redactingConnection(conn);
      wrappers.set(conn, wrapper);
    }
    return wrapper;
  };
  return {
    getConnection(callback) {
      pool.getConnection((err, conn) =>
        callback(err, err ? redactingConnection(conn) : wrapperOf(conn)),
      );
    },
    end(callback) {
      pool.end(callback);
    },
  };
}
