import type { Kysely } from 'kysely';

/**
 * up is used to record, per change-log row, the controller lease generation whose fenced
 * transaction wrote it (null for writes outside the controller: the API, registration). A row of
 * an older generation after one of a newer is a write by a replica that had lost the lease: the
 * chaos run checks that none appears.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('resource_changes').addColumn('lease_generation', 'integer').execute();
}

/** down is used to drop the column again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('resource_changes').dropColumn('lease_generation').execute();
}
