// A claim's entries in the change log (watch/): written by claims.repository in the transaction
// of each claim write, with the claim as GET /api/gpu-claims/:id shows it (without events).
// A writer that holds the row it wrote (an insert; a version-guarded update of a row it read with
// its names) records that row as it is now, without reading it back: the guard means the update
// applied to exactly that row.
import type { Transaction } from 'kysely';
import type { ClaimRow, Database } from '../db/schema.js';
import { recordChange } from '../watch/changes.repository.js';
import { toClaim, type ClaimRowWithNames } from './claim-view.js';
import { selectClaims } from './claims.queries.js';
import type { ClaimUpdate } from './claims.repository.js';

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
): Promise<ClaimRowWithNames> {
  const row = await findClaimWithNames(trx, id);
  if (!row) throw new Error(`claim ${id} vanished inside its own write`);
  await recordClaimRow(trx, row, type);
  return row;
}

/** recordClaimRow is used with a row already read or just written (see the file's comment). */
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

/** ClaimBefore is used to hand a guarded update the row it guards, when the writer read it. */
export interface ClaimBefore {
  row: ClaimRow | ClaimRowWithNames;
  /** The hostname of the node the update binds the claim to, when it sets node_id. */
  nodeHostname?: string;
}

/**
 * rowAfterUpdate is used to build the row a version-guarded update left, from the row it guarded
 * (undefined values are skipped, as Kysely's set skips them). It answers undefined when the row
 * was read without its names, or the update moves the claim to a node whose name is not given:
 * then the writer reads the row back.
 */
export function rowAfterUpdate(
  before: ClaimBefore,
  update: ClaimUpdate,
  version: number,
): ClaimRowWithNames | undefined {
  const row = before.row;
  if (!('owner_name' in row)) return undefined;
  const after: ClaimRowWithNames = { ...row, version };
  let key: keyof ClaimUpdate;
  for (key in update) put<ClaimRowWithNames, typeof key>(after, key, update[key]);
  if (update.node_id !== undefined && update.node_id !== row.node_id) {
    if (update.node_id === null) after.node_hostname = null;
    else if (before.nodeHostname !== undefined) after.node_hostname = before.nodeHostname;
    else return undefined;
  }
  return after;
}

function put<T, K extends keyof T>(row: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) row[key] = value;
}
