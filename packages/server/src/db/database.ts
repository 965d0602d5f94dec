import { dirname } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  MysqlDialect,
  SqliteDialect,
  sql,
  type DatabaseConnection,
  type Dialect,
  type Driver,
} from 'kysely';
import { startWalCheckpointer, type WalCheckpointer } from './sqlite-checkpointer.js';
import { withStatementCache } from './sqlite-statement-cache.js';
import { createConnection, createPool } from 'mysql2';
import { withCommitNotifications } from './commit-notifier.js';
import { LATEST_MIGRATION, MIGRATIONS } from './migrations/index.js';
import { redactingPool } from './mysql-errors.js';
import type { Database } from './schema.js';
import {
  createPrivateDir,
  securePrivateSqliteFiles,
  type PermissionWarning,
} from './private-files.js';

/** DbKind is used where the two dialects truly differ (say, which error means "duplicate key"). */
export type DbKind = 'sqlite' | 'mysql';

/** Db is used to hold one open database: the Kysely instance and which dialect it speaks. */
export interface Db {
  readonly kysely: Kysely<Database>;
  readonly kind: DbKind;
  /** SELECT … FOR UPDATE works (MySQL). SQLite needs none: its writers are serialised anyway. */
  readonly supportsRowLocks: boolean;
  /** onCommit is used to hear of every committed transaction of this process (see watch/). */
  onCommit(listener: () => void): () => void;
  close(): Promise<void>;
}

/** OpenDatabaseOptions is used to hear about database files whose mode had to be tightened. */
export interface OpenDatabaseOptions {
  onLoosePermissions?: PermissionWarning;
  /** Hears that SQLite's checkpoint worker failed (the connection then checkpoints itself). */
  onCheckpointerError?: (e: Error) => void;
}

/** openDatabase is used to connect to SQLite or MySQL/MariaDB from a sqlite:// or mysql:// URL. */
export async function openDatabase(url: string, opts: OpenDatabaseOptions = {}): Promise<Db> {
  const kind: DbKind = url.startsWith('mysql://') ? 'mysql' : 'sqlite';
  const opened =
    kind === 'mysql'
      ? { dialect: await mysqlDialect(url) }
      : sqliteDialect(url, opts.onLoosePermissions ?? (() => {}), opts.onCheckpointerError);
  const { dialect } = opened;
  const listeners = new Set<() => void>();
  const kysely = new Kysely<Database>({
    dialect: withCommitNotifications(dialect, () => listeners.forEach((l) => l())),
  });
  return {
    kysely,
    kind,
    supportsRowLocks: kind === 'mysql',
    onCommit(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      // First the worker's connection: the last one to close removes the WAL.
      await opened.checkpointer?.close();
      await kysely.destroy();
    },
  };
}

function sqliteDialect(
  url: string,
  warn: PermissionWarning,
  onCheckpointerError: ((e: Error) => void) | undefined,
): { dialect: Dialect; checkpointer?: WalCheckpointer } {
  const path = url.slice('sqlite://'.length);
  if (path !== ':memory:') {
    createPrivateDir(dirname(path));
    // SQLite would create the file 0644; it holds the server's keys.
    securePrivateSqliteFiles(path, warn);
  }
  const database = new SqliteDatabase(path);
  database.pragma('journal_mode = WAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  const dialect = new AutoRollbackSqliteDialect(database);
  if (path === ':memory:') return { dialect };
  const checkpointer = startWalCheckpointer(
    database,
    path,
    onCheckpointerError ? { onError: onCheckpointerError } : {},
  );
  return { dialect, checkpointer };
}

/**
 * SQLite ends a transaction by itself on some errors (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM):
 * Kysely's ROLLBACK after it then fails with "cannot rollback - no transaction is active", and
 * that error replaced the real one (a full disk answered 500 instead of 503).
 */
class AutoRollbackSqliteDialect extends SqliteDialect {
  constructor(private readonly database: SqliteDatabase.Database) {
    super({ database: withStatementCache(database) });
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (conn) => {
      if (this.database.inTransaction) await rollback(conn);
    };
    return driver;
  }
}

async function mysqlDialect(url: string): Promise<Dialect> {
  await createMysqlDatabaseIfMissing(url);
  const pool = createPool({ uri: url, connectionLimit: 10, timezone: 'Z', charset: 'utf8mb4' });
  return new MysqlDialect({ pool: redactingPool(pool), onCreateConnection: endIdleTransactions });
}

// Transactions here do no network I/O and last milliseconds; one idle this long belongs to a
// process that is frozen (SIGSTOP, a VM pause) or cut off, and the row locks it holds (a node's,
// during a bind) would stall the replica that took over the controller. MariaDB can end such a
// transaction (rolling it back); MySQL has no such setting, and there it waits for the process.
const IDLE_TRANSACTION_TIMEOUT_S = 10;

async function endIdleTransactions(conn: DatabaseConnection): Promise<void> {
  try {
    await conn.executeQuery(
      CompiledQuery.raw(`SET SESSION idle_transaction_timeout = ${IDLE_TRANSACTION_TIMEOUT_S}`),
    );
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
    if (code !== 'ER_UNKNOWN_SYSTEM_VARIABLE') throw e; // MySQL
  }
}

// A fresh MariaDB has no database for us yet: create it, so a URL is all an operator gives.
async function createMysqlDatabaseIfMissing(url: string): Promise<void> {
  const parsed = new URL(url);
  const name = decodeURIComponent(parsed.pathname.slice(1));
  if (!/^[A-Za-z0-9_]+$/.test(name)) {
    throw new Error('UTOPIA_DATABASE_URL must name a database made of letters, digits and _');
  }
  parsed.pathname = '/';
  const conn = createConnection({ uri: parsed.toString() }).promise();
  try {
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`,
    );
  } catch (e) {
    // end() on a connection whose handshake failed (refused, bad password) never settles.
    conn.destroy();
    throw e;
  }
  await conn.end();
}

/** migrateToLatest is used at start to apply every pending migration. */
export async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) },
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error !== undefined || failed !== undefined) {
    const what = failed ? `migration ${failed.migrationName} failed` : 'migration failed';
    // The cause keeps the driver's code, so a caller can tell a lost connection from a bad one.
    throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/** isSchemaCurrent is used by /readyz: the database answers and the latest migration is applied. */
export async function isSchemaCurrent(db: Db): Promise<boolean> {
  const rows = await sql<{
    name: string;
  }>`select name from kysely_migration where name = ${LATEST_MIGRATION}`.execute(db.kysely);
  return rows.rows.length === 1;
}

/** isUniqueViolation is used to turn a duplicate-key error into a 409 instead of a 500. */
export function isUniqueViolation(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  const code = 'code' in e ? String(e.code) : '';
  return (
    code === 'ER_DUP_ENTRY' ||
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

// Errors that say the database cannot be reached or cannot serve right now, not that the query is
// wrong: connection refused or lost, too many connections, shutting down, locks and I/O.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_LOCK_DEADLOCK',
  'ER_OUT_OF_RESOURCES',
  'SQLITE_FULL',
  'SQLITE_NOMEM',
  'SQLITE_PROTOCOL',
]);
// SQLite's extended codes refine a primary one: SQLITE_BUSY_SNAPSHOT, SQLITE_IOERR_WRITE, ...
const UNAVAILABLE_SQLITE_PREFIXES = [
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
];

/**
 * isDatabaseUnavailable is used by the error handler to answer 503 (retry later) instead of 500
 * when the database, not the request, is the problem. mysql2 marks every error that ends a
 * connection `fatal`.
 */
export function isDatabaseUnavailable(e: unknown): boolean {
  if (typeof e !== 'object' || e === null) return false;
  if ('fatal' in e && e.fatal === true) return true;
  const code = 'code' in e && typeof e.code === 'string' ? e.code : '';
  return (
    UNAVAILABLE_CODES.has(code) ||
    UNAVAILABLE_SQLITE_PREFIXES.some((p) => code === p || code.startsWith(`${p}_`))
  );
}
