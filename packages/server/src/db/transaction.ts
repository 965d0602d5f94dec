import { Transaction, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * inTransaction is used by repository functions whose write must share a transaction with a
 * second write (say, a claim and its change-log row): it joins the caller's transaction, or
 * opens one when it was handed the plain database.
 */
export function inTransaction<T>(
  db: Kysely<Database> | Transaction<Database>,
  fn: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return db instanceof Transaction ? fn(db) : db.transaction().execute(fn);
}

/** TransactionOpener is used for what a writer opens its transactions through; a Kysely is one. */
export interface TransactionOpener {
  transaction(): {
    execute<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T>;
  };
}
