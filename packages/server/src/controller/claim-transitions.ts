// Only the controller moves a claim's status: every such write goes through applyTransition.
import { Transaction } from 'kysely';
import {
  releaseGpus,
  StaleClaimError,
  updateClaimGuarded,
  type ClaimUpdate,
} from '../claims/claims.repository.js';
import type { ClaimRowWithNames } from '../claims/claim-view.js';
import type { ClaimRow, Database } from '../db/schema.js';
import { recordEvent } from '../events/events.repository.js';
import type { TransactionOpener } from './lease-fence.js';

/** TransitionEvent is used to describe a status change in the claim's history. */
export interface TransitionEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

/**
 * applyTransition is used for every status change of a claim: the version-guarded update, the
 * event, and optionally the release of its GPUs, in one transaction (and no network I/O in it).
 * It answers the row as written; a claim read with its names (and, for a bind, the node's
 * hostname) is not read back for the change log.
 */
export async function applyTransition(
  db: TransactionOpener | Transaction<Database>,
  claim: ClaimRow | ClaimRowWithNames,
  update: ClaimUpdate,
  event: TransitionEvent | undefined,
  at: string,
  opts: {
    releaseGpus?: boolean;
    inTransaction?: (trx: Transaction<Database>) => Promise<void>;
    /** The hostname of the node an update that sets node_id binds the claim to. */
    nodeHostname?: string;
  } = {},
): Promise<ClaimRowWithNames> {
  const before = {
    row: claim,
    ...(opts.nodeHostname === undefined ? {} : { nodeHostname: opts.nodeHostname }),
  };
  const run = async (trx: Transaction<Database>): Promise<ClaimRowWithNames> => {
    const full: ClaimUpdate = { ...update, updated_at: at };
    if (update.phase !== undefined && update.phase !== claim.phase) full.phase_changed_at = at;
    const written = await updateClaimGuarded(trx, claim.id, claim.version, full, before);
    if (!written) throw new StaleClaimError(claim.id);
    if (opts.releaseGpus) await releaseGpus(trx, claim.id);
    if (opts.inTransaction) await opts.inTransaction(trx);
    if (event) await recordEvent(trx, { kind: 'GpuClaim', objectId: claim.id, ...event, at });
    return written;
  };
  if (db instanceof Transaction) return run(db);
  return db.transaction().execute(run);
}

/** backToPendingUpdate is used when a claim leaves its node (lost, deleted or drained). */
export function backToPendingUpdate(reason: string, message: string): ClaimUpdate {
  return {
    phase: 'Pending',
    node_id: null,
    gpu_ids: null,
    container_id: null,
    reason,
    message,
    exit_code: null,
    reschedule_requested_at: null,
  };
}
