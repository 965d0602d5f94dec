import type { Kysely } from 'kysely';

/**
 * up is used to give each user a token generation: every login JWT carries the generation it
 * was issued under, and a password change, a role change or disabling the user bumps it, which
 * ends every session issued before at once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('users')
    .addColumn('token_generation', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

/** down is used to drop the column again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('users').dropColumn('token_generation').execute();
}
