import type { Kysely } from 'kysely';

/**
 * up is used to give the controller lease a fencing token: a generation bumped on every
 * takeover, which every controller write checks in its own transaction, so a replica that lost
 * the lease (stalled, partitioned) cannot write with it any more. Rows already there start at 1.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('leases')
    .addColumn('generation', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
}

/** down is used to drop the column again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('leases').dropColumn('generation').execute();
}
