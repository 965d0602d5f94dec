// A claim's entries in the change log (watch/): written by claims.repository in the transaction
// of each claim write, with the claim as GET /api/gpu-claims/:id shows it (without events).
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { recordChange } from '../watch/changes.repository.js';
import { toClaim, type ClaimRowWithNames } from './claim-view.js';
import { selectClaims } from './claims.queries.js';

/** findClaimWithNames is used to read a claim as the API shows it, inside a write's transaction. */
export async function findClaimWithNames(
  trx: Transaction<Database>,
  id: string,
): Promise<ClaimRowWithNames | undefined> {
  const [row] = await selectClaims(trx, { id }, 1);
  return row;
}

/** recordClaimChange is used after a claim was inserted or updated, in the same transaction. */
export async function recordClaimChange(
  trx: Transaction<Database>,
  id: string,
  type: 'ADDED' | 'MODIFIED',
): Promise<void> {
  const row = await findClaimWithNames(trx, id);
  if (!row) throw new Error(`claim ${id} vanished inside its own write`);
  await recordClaimRow(trx, row, type);
}

/** recordClaimRow is used with a row already read: the last state of a deleted claim. */
export async function recordClaimRow(
  trx: Transaction<Database>,
  row: ClaimRowWithNames,
  type: 'ADDED' | 'MODIFIED' | 'DELETED',
): Promise<void> {
  await recordChange(trx, {
    kind: 'GpuClaim',
    objectId: row.id,
    ownerId: row.owner_id,
    type,
    version: row.version,
    object: toClaim(row),
  });
}
