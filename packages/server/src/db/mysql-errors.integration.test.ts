// A failing statement on MariaDB comes out of the data layer without the values it carried:
// `sql` has placeholders, and the message quotes no value.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql, type MysqlPoolConnection } from 'kysely';
import { createPool } from 'mysql2';
import { createConnection } from 'mysql2/promise';
import { pino } from 'pino';
import { testDatabases } from '../testing/harness.js';
import { migrateToLatest, openDatabase, type Db } from './database.js';
import { REDACTED_VALUE, redactingPool, redactMysqlMessage } from './mysql-errors.js';

const SECRET = `s3cret-${randomBytes(6).toString('hex')}`;

/** logged is used to see an error as the server's logger would write it. */
function logged(err: unknown): string {
  const lines: string[] = [];
  pino({}, { write: (l: string) => void lines.push(l) }).error({ err }, 'request failed');
  return lines.join('');
}

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (e) {
    return e;
  }
  assert.fail('the statement should have failed');
}

describe('redactMysqlMessage', () => {
  test('drops the values MariaDB quotes, keeps the rest', () => {
    const cases: [string, string][] = [
      [
        "Duplicate entry 'it''s s3cret' for key 'PRIMARY'",
        `Duplicate entry ${REDACTED_VALUE} for key 'PRIMARY'`,
      ],
      [
        "Incorrect integer value: 's3cret' for column `db`.`t`.`n` at row 1",
        `Incorrect integer value: ${REDACTED_VALUE} for column \`db\`.\`t\`.\`n\` at row 1`,
      ],
      [
        "You have an error in your SQL syntax; check the manual near 'where a = 's3cret'' at line 1",
        `You have an error in your SQL syntax; check the manual near ${REDACTED_VALUE} at line 1`,
      ],
      ["Data too long for column 'spec' at row 1", "Data too long for column 'spec' at row 1"],
    ];
    for (const [message, expected] of cases) assert.equal(redactMysqlMessage(message), expected);
  });
});

const mysqlUrl = process.env.UTOPIA_TEST_MYSQL_URL;
if (testDatabases().includes('mysql') && mysqlUrl !== undefined) {
  describe('MariaDB errors carry no values (mysql)', () => {
    const name = `utopia_t_${randomBytes(6).toString('hex')}`;
    let db: Db;
    before(async () => {
      const url = new URL(mysqlUrl);
      url.pathname = `/${name}`;
      db = await openDatabase(url.toString());
      await migrateToLatest(db);
    });
    after(async () => {
      await db.close();
      const conn = await createConnection({ uri: mysqlUrl });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    });

    const insertSetting = () =>
      db.kysely.insertInto('settings').values({ name: SECRET, value: SECRET }).execute();

    test('a duplicate key: no value in sql, message or stack', async () => {
      await insertSetting();
      const err = await failure(insertSetting);
      assert.ok(err instanceof Error);
      assert.equal('code' in err ? err.code : undefined, 'ER_DUP_ENTRY');
      assert.equal(
        'sql' in err ? err.sql : undefined,
        'insert into `settings` (`name`, `value`) values (?, ?)',
      );
      assert.ok(!logged(err).includes(SECRET), logged(err));
      assert.ok(logged(err).includes(REDACTED_VALUE));
    });

    test('a value too long for its column: no value in the log', async () => {
      const long = `${SECRET}${'x'.repeat(300)}`;
      const err = await failure(() =>
        db.kysely.insertInto('settings').values({ name: long, value: SECRET }).execute(),
      );
      assert.equal(
        err instanceof Error && 'code' in err ? err.code : undefined,
        'ER_DATA_TOO_LONG',
      );
      assert.ok(!logged(err).includes(SECRET), logged(err));
    });

    test('a syntax error: the quoted statement tail is dropped', async () => {
      const err = await failure(() =>
        sql`select name from settings where name = ${SECRET} and and`.execute(db.kysely),
      );
      assert.equal(err instanceof Error && 'code' in err ? err.code : undefined, 'ER_PARSE_ERROR');
      assert.ok(!logged(err).includes(SECRET), logged(err));
    });

    test('a pooled connection is the same one to Kysely each time (its setup runs once)', async () => {
      const pool = redactingPool(createPool({ uri: mysqlUrl, connectionLimit: 1 }));
      const checkout = () =>
        new Promise<MysqlPoolConnection>((resolve, reject) =>
          pool.getConnection((err, conn) => (err ? reject(err) : resolve(conn))),
        );
      try {
        const first = await checkout();
        first.release();
        const second = await checkout();
        second.release();
        assert.equal(second, first);
      } finally {
        await new Promise<void>((resolve) => pool.end(() => resolve()));
      }
    });

    test('inside a transaction too', async () => {
      const err = await failure(() =>
        db.kysely.transaction().execute(async (trx) => {
          await trx.insertInto('settings').values({ name: SECRET, value: 'again' }).execute();
        }),
      );
      assert.ok(!logged(err).includes(SECRET), logged(err));
    });
  });
}
