import type { Kysely } from 'kysely';

/**
 * up is used to keep, per node, why its agent cannot reach its Docker Engine (the agent's own
 * words), or null while it can (or before anyone asked). The UI shows it as a banner: the node is
 * Online, yet no claim can start there.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('nodes').addColumn('docker_problem', 'text').execute();
}

/** down is used to drop the column again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('nodes').dropColumn('docker_problem').execute();
}
