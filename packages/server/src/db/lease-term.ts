// Which controller term a transaction writes for: the lease fence marks each of its transactions
// with its lease generation, and the change log stamps its rows with it. Writes outside the
// controller (the API, registration) have none.
import { Transaction, type Kysely } from 'kysely';
import type { Database } from './schema.js';

const generationOf = new WeakMap<Transaction<Database>, number>();

/** markLeaseTerm is used by the lease fence on each transaction it opens. */
export function markLeaseTerm(trx: Transaction<Database>, generation: number): void {
  generationOf.set(trx, generation);
}

/** leaseTermOf is used to read the generation a write is made for, or null outside the controller. */
export function leaseTermOf(db: Kysely<Database> | Transaction<Database>): number | null {
  return db instanceof Transaction ? (generationOf.get(db) ?? null) : null;
}
