import type { Kysely } from 'kysely';

/**
 * up is used to keep, per node, how its agent gives containers their GPUs (CDI, the NVIDIA
 * runtime, or no device) and why, as JSON `{ mode, reason }` from the agent's metrics; null
 * until an agent that reports it answers. TEXT: the reason names spec files and folders.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('nodes').addColumn('gpu_injection', 'text').execute();
}

/** down is used to drop the column again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('nodes').dropColumn('gpu_injection').execute();
}
