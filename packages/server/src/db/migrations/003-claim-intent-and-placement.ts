import type { Kysely } from 'kysely';

const TIME = 'varchar(30)';

/**
 * up is used to give claims two columns: `reschedule_requested_at`, the intent a node drain
 * records (only the controller then moves the claim), and `placement`, the scheduler's last
 * placement metrics as JSON, so a claim can say why it is Pending node by node.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('gpu_claims').addColumn('reschedule_requested_at', TIME).execute();
  await db.schema.alterTable('gpu_claims').addColumn('placement', 'text').execute();
}

/** down is used to drop the two columns again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('gpu_claims').dropColumn('placement').execute();
  await db.schema.alterTable('gpu_claims').dropColumn('reschedule_requested_at').execute();
}
