// The I/O half of the reconciler: carries out one ClaimAction. Agent calls happen before (never
// inside) the database transaction that records their outcome.
import type { Transaction } from 'kysely';
import { AgentCallError, type AgentClient } from '../agent-client/agent-client.js';
import {
  deleteClaimGuarded,
  formatGpuIds,
  releaseGpus,
  reserveGpus,
  StaleClaimError,
} from '../claims/claims.repository.js';
import { isUniqueViolation } from '../db/database.js';
import type { ClaimRowWithNames } from '../claims/claim-view.js';
import type { ClaimRow, Database } from '../db/schema.js';
import { recordVolumesUsed } from '../volumes/volumes.repository.js';
import { claimNodeRoom } from './node-room.js';
import type { BindBatcher } from './bind-batcher.js';
import type { GroupWrite } from '../db/group-commit.js';
import type { KeyedLimiter } from './keyed-limiter.js';
import { isoAt, type Clock } from '../db/time.js';
import { deleteEvents } from '../events/events.repository.js';
import type { ClaimAction, ContainersToRemove } from './claim-decide.js';
import type { ClaimWrites } from './lease-fence.js';
import type { CreateOutcome } from './claim-state.js';
import { applyTransition, backToPendingUpdate } from './claim-transitions.js';
import type { ReconcileResult } from './queue-process.js';

/** ApplyDeps is used to give applyClaimAction its I/O. */
export interface ApplyDeps {
  /** Every write goes through these transactions: fenced by the lease (see lease-fence). */
  writes: ClaimWrites;
  clock: Clock;
  agents: AgentClient;
  runningCheckMs: number;
  /** True on MySQL: the bind locks the node row to check its CPU and memory (see node-room). */
  supportsRowLocks: boolean;
  /** Called after a claim gave GPUs back, so pending claims get another chance at once. */
  onGpusReleased(claimId: string): void;
  /** Called when a bind lost on the reservation key (see ReconcilerDeps). */
  onBindConflict?(): void;
  /** Writes binds in batches (group commit); without one each is its own transaction. */
  bindBatcher?: BindBatcher;
  /** Writes Running transitions in batches of their own, beside the binds' (on MySQL, at once). */
  runningBatcher?: BindBatcher;
  /** Bounds agent creates per node (workers still create on many nodes at once). */
  perNodeCalls?: KeyedLimiter;
}

/**
 * ApplyOutcome is used to tell the reconciler to stop, to take another step, or to feed back a
 * create. `claim` is the row as this step wrote it: the next step starts from it instead of a
 * read (its writes stay version-guarded).
 */
export type ApplyOutcome =
  | { kind: 'done'; result: ReconcileResult }
  | { kind: 'again'; claim?: ClaimRowWithNames }
  | { kind: 'created'; outcome: CreateOutcome };

const done = (result: ReconcileResult = {}): ApplyOutcome => ({ kind: 'done', result });

/**
 * applyClaimAction is used by the reconciler to do what decideClaimAction chose for `claim`.
 * Every write is guarded by the claim's version: a lost race throws StaleClaimError and the
 * queue retries from a fresh read.
 */
export async function applyClaimAction(
  deps: ApplyDeps,
  claim: ClaimRow,
  action: ClaimAction,
): Promise<ApplyOutcome> {
  const at = isoAt(deps.clock.now());
  const db = deps.writes;
  switch (action.kind) {
    case 'wait':
      return done(
        action.requeueAfterMs === undefined ? {} : { requeueAfterMs: action.requeueAfterMs },
      );
    case 'recordUnschedulable':
      await applyTransition(
        db,
        claim,
        {
          reason: 'Unschedulable',
          message: action.message,
          placement: JSON.stringify(action.placement),
        },
        { type: 'Warning', reason: 'FailedScheduling', message: action.message },
        at,
      );
      return done();
    case 'bind':
      return { kind: 'again', claim: await bind(deps, claim, action, at) };
    case 'createContainer':
      return { kind: 'created', outcome: await createContainer(deps, action) };
    case 'markRunning':
      await withBatch(deps.runningBatcher, deps.writes, (trx) =>
        applyTransition(
          trx,
          claim,
          {
            phase: 'Running',
            container_id: action.containerId,
            reason: 'Started',
            message: action.message,
          },
          { type: 'Normal', reason: 'Started', message: action.message },
          at,
          { inTransaction: (t) => recordVolumes(claim, action.volumeNames, t, at) },
        ),
      );
      return done({ requeueAfterMs: deps.runningCheckMs });
    case 'retryLater':
      if (action.message !== undefined) {
        await applyTransition(
          db,
          claim,
          { reason: 'AgentUnavailable', message: `${action.message}; retrying` },
          { type: 'Warning', reason: 'AgentUnavailable', message: action.message },
          at,
        );
      }
      throw action.error; // the queue retries with backoff
    case 'fail':
      await release(
        deps,
        claim,
        at,
        { phase: 'Failed', reason: action.reason, message: action.message },
        {
          type: 'Warning',
          reason: 'Failed',
          message: action.message,
        },
      );
      return done();
    case 'restart':
      // The exited container's log tail stays on the agent: `logs?previous=true` reads it.
      await deps.agents.deleteContainer(action.target, action.containerId, { keepLogs: true });
      await applyTransition(
        db,
        claim,
        {
          phase: 'Scheduled',
          container_id: null,
          restart_count: action.restartCount,
          exit_code: action.exitCode,
          reason: 'BackOff',
          message: action.message,
        },
        { type: 'Warning', reason: 'BackOff', message: action.message },
        at,
      );
      return done({ requeueAfterMs: action.delayMs });
    case 'finish': {
      const reason = action.succeeded ? 'Completed' : 'Error';
      await release(
        deps,
        claim,
        at,
        {
          phase: action.succeeded ? 'Succeeded' : 'Failed',
          exit_code: action.exitCode,
          reason,
          message: action.message,
        },
        { type: action.succeeded ? 'Normal' : 'Warning', reason, message: action.message },
      );
      return done();
    }
    case 'reschedule': {
      await removeContainers(deps, action.remove);
      const update = backToPendingUpdate(action.reason, action.message);
      const written = await release(deps, claim, at, update, {
        type: action.eventType,
        reason: action.reason,
        message: action.message,
      });
      return { kind: 'again', claim: written };
    }
    case 'markTerminating': {
      const written = await applyTransition(
        db,
        claim,
        {
          phase: 'Terminating',
          reason: 'Deleting',
          message: 'removing the container and freeing its GPUs',
        },
        undefined,
        at,
      );
      return { kind: 'again', claim: written };
    }
    case 'remove':
      await removeContainers(deps, action.remove);
      await db.transaction().execute(async (trx) => {
        await releaseGpus(trx, claim.id);
        await deleteEvents(trx, 'GpuClaim', claim.id);
        // A lost race rolls the release back too.
        if (!(await deleteClaimGuarded(trx, claim))) throw new StaleClaimError(claim.id);
      });
      deps.onGpusReleased(claim.id);
      return done();
  }
}

async function bind(
  deps: ApplyDeps,
  claim: ClaimRow,
  action: Extract<ClaimAction, { kind: 'bind' }>,
  at: string,
): Promise<ClaimRowWithNames> {
  const write = async (trx: Transaction<Database>): Promise<ClaimRowWithNames> => {
    // First, before the claim's own row: the node's lock orders concurrent binds there.
    await claimNodeRoom(trx, roomOf(claim, action.nodeId), deps.supportsRowLocks);
    return bindIn(trx, claim, action, at);
  };
  try {
    return await withBatch(deps.bindBatcher, deps.writes, write);
  } catch (e) {
    // Another claim took one of these GPUs first: the transaction rolled back; try again.
    if (isUniqueViolation(e)) {
      deps.onBindConflict?.();
      throw new StaleClaimError(claim.id);
    }
    throw e;
  }
}

// Binds and Running transitions go through a group commit when there is one (the controller
// has), so a burst's writes share transactions; otherwise each is its own.
function withBatch<T>(
  batcher: BindBatcher | undefined,
  writes: ClaimWrites,
  write: GroupWrite<T>,
): Promise<T> {
  return batcher ? batcher(write) : writes.transaction().execute(write);
}

function roomOf(claim: ClaimRow, nodeId: string): Parameters<typeof claimNodeRoom>[1] {
  return { claimId: claim.id, nodeId, cpuMillis: claim.cpu_millis, memoryMiB: claim.memory_mib };
}

async function recordVolumes(
  claim: ClaimRow,
  names: readonly string[],
  trx: Transaction<Database>,
  at: string,
): Promise<void> {
  if (names.length === 0 || claim.node_id === null) return;
  await recordVolumesUsed(trx, { ownerId: claim.owner_id, names, nodeId: claim.node_id, at });
}

async function bindIn(
  trx: Transaction<Database>,
  claim: ClaimRow,
  action: Extract<ClaimAction, { kind: 'bind' }>,
  at: string,
): Promise<ClaimRowWithNames> {
  return applyTransition(
    trx,
    claim,
    {
      phase: 'Scheduled',
      node_id: action.nodeId,
      gpu_ids: formatGpuIds(action.gpuIndices),
      container_id: null,
      reason: 'Scheduled',
      message: action.message,
      placement: JSON.stringify(action.placement),
      reschedule_requested_at: null,
    },
    { type: 'Normal', reason: 'Scheduled', message: action.message },
    at,
    {
      inTransaction: async (trx) => {
        await reserveGpus(trx, claim.id, action.nodeId, action.gpuIndices, at);
      },
      ...(action.nodeHostname === undefined ? {} : { nodeHostname: action.nodeHostname }),
    },
  );
}

async function createContainer(
  deps: ApplyDeps,
  action: Extract<ClaimAction, { kind: 'createContainer' }>,
): Promise<CreateOutcome> {
  try {
    const create = () => deps.agents.createContainer(action.target, action.request);
    const { containerId } = await (deps.perNodeCalls
      ? deps.perNodeCalls(action.target.nodeId, create)
      : create());
    return { kind: 'created', containerId };
  } catch (e) {
    if (!(e instanceof AgentCallError)) throw e;
    return {
      kind: 'refused',
      permanent: e.permanent,
      reason: e.reason,
      message: e.message,
      error: e,
    };
  }
}

async function release(
  deps: ApplyDeps,
  claim: ClaimRow,
  at: string,
  update: Parameters<typeof applyTransition>[2],
  event: Parameters<typeof applyTransition>[3],
): Promise<ClaimRowWithNames> {
  const written = await applyTransition(deps.writes, claim, update, event, at, {
    releaseGpus: true,
  });
  deps.onGpusReleased(claim.id);
  return written;
}

async function removeContainers(
  deps: ApplyDeps,
  remove: ContainersToRemove | undefined,
): Promise<void> {
  if (!remove) return;
  for (const id of remove.ids) await deps.agents.deleteContainer(remove.target, id);
}
