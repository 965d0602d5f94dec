import type { Kysely } from 'kysely';

/**
 * up is used to create the one-time tickets that open an HTTP proxy session: a hash of the
 * ticket (never the ticket), what it opens (claim, port, for whom) and until when. Redeeming
 * deletes the row, so a ticket works once, on whichever replica it reaches.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('proxy_tickets')
    .addColumn('ticket_hash', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('claim_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('user_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('expires_at', 'varchar(30)', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('proxy_tickets_expires')
    .on('proxy_tickets')
    .column('expires_at')
    .execute();
}

/** down is used to drop the tickets table again. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('proxy_tickets').execute();
}
