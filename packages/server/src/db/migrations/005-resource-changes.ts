import { MysqlAdapter, sql, type Kysely } from 'kysely';

const ID = 'varchar(64)';
const TIME = 'varchar(30)';

/**
 * up is used to create the change log that watch streams read: one row per write of a claim or
 * node, inserted in the same transaction as the write. `rv` (auto-increment) is the resource
 * version clients resume from; `object` is the resource as the REST API showed it after the
 * write (the last state for DELETED). `mediumtext`: a claim's view can pass TEXT's 64 KiB on
 * MySQL; SQLite reads the name as TEXT. The settings row says up to which rv rows were compacted,
 * so a client resuming from before it is told to resync instead of silently missing changes.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  // Every heartbeat writes a row, so rv must be 64-bit: SQLite's INTEGER already is (and only
  // INTEGER may autoincrement there); MySQL's INT would run out.
  const rvType = db.getExecutor().adapter instanceof MysqlAdapter ? 'bigint' : 'integer';
  await db.schema
    .createTable('resource_changes')
    .addColumn('rv', rvType, (c) => c.primaryKey().autoIncrement())
    .addColumn('kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('object_id', ID, (c) => c.notNull())
    .addColumn('owner_id', ID)
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('object_version', 'integer', (c) => c.notNull())
    .addColumn('object', sql`mediumtext`, (c) => c.notNull())
    .addColumn('created_at', TIME, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('resource_changes_created')
    .on('resource_changes')
    .column('created_at')
    .execute();
  await sql`insert into settings (name, value) values ('resource_changes_compacted_rv', '00000000000000000000')`.execute(
    db,
  );
}

/** down is used to drop the change log again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from settings where name = 'resource_changes_compacted_rv'`.execute(db);
  await db.schema.dropTable('resource_changes').execute();
}
