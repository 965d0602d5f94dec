import type { Kysely } from 'kysely';

const ID = 'varchar(64)';
const TIME = 'varchar(30)';

/**
 * up is used for storage and limits. `volumes`: one row per named volume per node (an owner's
 * name is unique on a node; the same name on another node is another volume, made when a claim
 * ran there). Nodes get the CPU and memory capacity their agent reports (null: not reported),
 * claims their limits in whole units the scheduler sums per node (thousandths of a CPU, MiB; 0:
 * no limit) and their labels and annotations (JSON; null: none).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('volumes')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('owner_id', ID, (c) => c.notNull())
    .addColumn('name', 'varchar(63)', (c) => c.notNull())
    .addColumn('node_id', ID, (c) => c.notNull())
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addColumn('last_used_at', TIME, (c) => c.notNull())
    .addUniqueConstraint('volumes_owner_name_node', ['owner_id', 'name', 'node_id'])
    .execute();
  await db.schema.createIndex('volumes_node').on('volumes').column('node_id').execute();
  await db.schema.alterTable('nodes').addColumn('cpu_millis', 'integer').execute();
  await db.schema.alterTable('nodes').addColumn('memory_mib', 'integer').execute();
  await db.schema
    .alterTable('gpu_claims')
    .addColumn('cpu_millis', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('gpu_claims')
    .addColumn('memory_mib', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('gpu_claims').addColumn('labels', 'text').execute();
  await db.schema.alterTable('gpu_claims').addColumn('annotations', 'text').execute();
}

/** down is used to drop all of it again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const column of ['annotations', 'labels', 'memory_mib', 'cpu_millis'])
    await db.schema.alterTable('gpu_claims').dropColumn(column).execute();
  for (const column of ['memory_mib', 'cpu_millis'])
    await db.schema.alterTable('nodes').dropColumn(column).execute();
  await db.schema.dropTable('volumes').execute();
}
