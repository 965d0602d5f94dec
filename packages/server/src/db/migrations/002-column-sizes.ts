import { MysqlAdapter, sql, type Kysely } from 'kysely';

// MySQL/MariaDB must hold everything the API accepts, as SQLite does (its types are affinities
// with no length). The largest valid claim spec is about 9.5 MB of JSON (128 env values of 8192
// characters, 128 command items of 4096, each character up to 6 bytes once JSON-escaped): past
// TEXT's 64 KiB, within MEDIUMTEXT's 16 MiB. A node may report 64 GPUs with a 128-character uuid
// and a 256-character model each, and an address of 2048 characters.
const TABLES = [
  'users',
  'api_tokens',
  'join_tokens',
  'nodes',
  'gpu_claims',
  'gpu_reservations',
  'events',
  'leases',
  'settings',
];

// table, column, its type in 001, the type it needs, NOT NULL.
type ColumnResize = readonly [string, string, string, string, boolean];

const RESIZES: readonly ColumnResize[] = [
  ['gpu_claims', 'spec', 'text', 'mediumtext', true],
  ['gpu_claims', 'message', 'text', 'mediumtext', false],
  ['gpu_claims', 'gpu_ids', 'varchar(255)', 'varchar(512)', false],
  ['nodes', 'gpus', 'text', 'mediumtext', true],
  ['nodes', 'address', 'varchar(255)', 'varchar(2048)', false],
];

function isMysql(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof MysqlAdapter;
}

async function resizeColumns(db: Kysely<unknown>, to: 'was' | 'now'): Promise<void> {
  for (const [table, column, was, now, notNull] of RESIZES) {
    await db.schema
      .alterTable(table)
      .modifyColumn(column, sql.raw(to === 'now' ? now : was), (c) => (notNull ? c.notNull() : c))
      .execute();
  }
}

/**
 * up is used to size MySQL columns for the API's own limits, and to compare text byte for byte
 * (utf8mb4_bin) as SQLite does: with the default case- and accent-insensitive collations `Bob`
 * and `bob` are one username, and two random ids that differ only in case collide.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  if (!isMysql(db)) return;
  // Collations of foreign-key columns change together, so checks are off on this one connection.
  await db.connection().execute(async (conn) => {
    await sql`SET FOREIGN_KEY_CHECKS = 0`.execute(conn);
    try {
      const [current] = (await sql<{ name: string }>`SELECT DATABASE() AS name`.execute(conn)).rows;
      if (current)
        await sql`ALTER DATABASE ${sql.id(current.name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`.execute(
          conn,
        );
      for (const table of TABLES) {
        await sql`ALTER TABLE ${sql.table(table)} CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`.execute(
          conn,
        );
      }
    } finally {
      await sql`SET FOREIGN_KEY_CHECKS = 1`.execute(conn);
    }
    await resizeColumns(conn, 'now');
  });
}

/** down is used to return to the column types of 001 (the collation stays binary). */
export async function down(db: Kysely<unknown>): Promise<void> {
  if (!isMysql(db)) return;
  await resizeColumns(db, 'was');
}
