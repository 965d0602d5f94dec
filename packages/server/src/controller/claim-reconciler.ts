import type { Kysely } from 'kysely';
import { AgentCallError, type AgentClient } from '../agent-client/agent-client.js';
import { parseSpec } from '../claims/claim-view.js';
import { StaleClaimError } from '../claims/claims.repository.js';
import type { ClaimRowWithNames } from '../claims/claim-view.js';
import { selectClaims } from '../claims/claims.queries.js';
import type { ClaimRow, Database } from '../db/schema.js';
import type { Clock } from '../db/time.js';
import type { ControllerMetrics } from '../metrics/metrics.js';
import { agentTargetOf } from '../nodes/node-records.js';
import { findNodeReach, type NodeReach } from '../nodes/nodes.repository.js';
import type { SchedulingPolicy } from '../scheduler/index.js';
import { applyClaimAction, type ApplyOutcome } from './claim-apply.js';
import { decideClaimAction, isAliveStatus } from './claim-decide.js';
import {
  observationsFor,
  type ClaimState,
  type ContainerObservation,
  type CreateOutcome,
  type NodeState,
} from './claim-state.js';
import { readClusterSnapshot } from './cluster-snapshot.js';
import { NotLeaderError } from './lease.js';
import type { ClaimWrites } from './lease-fence.js';
import type { ReconcileResult } from './queue-process.js';
import type { ClusterModel } from '../cluster/cluster-model.js';
import type { BindBatcher } from './bind-batcher.js';
import type { KeyedLimiter } from './keyed-limiter.js';
import { volumeNodes } from '../volumes/volumes.repository.js';
import type { ClaimAction } from './claim-decide.js';

/** ReconcilerDeps is used to give the claim reconciler its I/O. */
export interface ReconcilerDeps {
  /** For reads; writes go through `writes`. */
  db: Kysely<Database>;
  /** The lease-fenced transactions every write uses, and the check before each action. */
  writes: ClaimWrites;
  clock: Clock;
  agents: AgentClient;
  agentTokenKey: string;
  policy: SchedulingPolicy;
  runningCheckMs: number;
  restartBackoffMs: number;
  metrics: ControllerMetrics;
  /** True on MySQL: the bind locks the node row to check its CPU and memory (see node-room). */
  supportsRowLocks: boolean;
  /** Called after a claim gave GPUs back, so pending claims get another chance at once. */
  onGpusReleased(claimId: string): void;
  /**
   * The leader's cluster model; without one (tests of single steps) every placement reads the
   * cluster from the database as a snapshot.
   */
  model?: ClusterModel;
  /** Called when a bind lost on the reservation key: the model may be stale, so resync it. */
  onBindConflict?(): void;
  /** Group commit of binds (see bind-batcher). */
  bindBatcher?: BindBatcher;
  /** Group commit of Running transitions, a pipeline of its own beside the binds'. */
  runningBatcher?: BindBatcher;
  /** Bounds agent creates per node. */
  perNodeCalls?: KeyedLimiter;
  /**
   * Told the version of each claim row a reconcile acts on (undefined: the claim is gone), so the
   * controller can drop a wake-up for a change this reconcile has already seen.
   */
  onSeen?(claimId: string, version: number | undefined): void;
}

// Pending → bind → create → Running is four steps; a reschedule adds two. Past this the claim is
// requeued rather than looped on.
const MAX_STEPS = 8;

/**
 * createClaimReconciler is used by the controller: reconcile(claimId) perceives the claim (from
 * the database, and from its node's agent where the decision needs it), decides the next step
 * with the pure decideClaimAction, applies it, and repeats from a fresh read until the claim
 * waits. It is level-triggered (it never trusts the event that woke it) and idempotent (any step
 * may run twice or be cut short by a crash).
 */
export function createClaimReconciler(
  given: ReconcilerDeps,
): (claimId: string) => Promise<ReconcileResult> {
  // The model hears of every committed release here, before anyone else is told.
  const deps: ReconcilerDeps = {
    ...given,
    onGpusReleased(claimId) {
      given.model?.released(claimId);
      given.onGpusReleased(claimId);
    },
  };
  const decideOpts = {
    policy: deps.policy,
    runningCheckMs: deps.runningCheckMs,
    restartBackoffMs: deps.restartBackoffMs,
  };

  async function reconcile(claimId: string): Promise<ReconcileResult> {
    let created: CreateOutcome | undefined;
    let known: Known | undefined;
    for (let step = 0; step < MAX_STEPS; step++) {
      const perceived = await perceive(deps, claimId, created, known);
      deps.onSeen?.(claimId, perceived?.claim.version);
      if (!perceived) return {}; // gone: nothing left to do
      const { state } = perceived;
      const started = performance.now();
      const action = decideClaimAction(state, decideOpts);
      if (state.cluster)
        deps.metrics.schedulingSeconds.observe((performance.now() - started) / 1000);
      deps.writes.assertHeld(); // a replica that woke up past its lease neither writes nor acts
      const outcome: ApplyOutcome = await applyAssumed(deps, state.claim, action);
      if (outcome.kind === 'done') {
        // A removed claim is gone now; its DELETED change row may never be read (a follower that
        // fell behind the log skips it), so its version is forgotten here.
        if (action.kind === 'remove') deps.onSeen?.(claimId, undefined);
        return outcome.result;
      }
      created = outcome.kind === 'created' ? outcome.outcome : undefined;
      known = knownAfter(outcome, perceived);
    }
    return { requeueAfterMs: 0 };
  }

  return async (claimId) => {
    const stop = deps.metrics.reconcileSeconds.startTimer();
    try {
      return await reconcile(claimId);
    } catch (e) {
      deps.metrics.reconcileErrors.inc({
        kind:
          e instanceof AgentCallError
            ? 'agent'
            : e instanceof StaleClaimError
              ? 'conflict'
              : e instanceof NotLeaderError
                ? 'not_leader'
                : 'other',
      });
      throw e;
    } finally {
      stop();
    }
  };
}

/**
 * applyAssumed is used to hold a bind's GPUs in the model from the moment of the decision (no
 * await between the two), so the next decision, on any worker, sees them taken; the holding is
 * put back if the bind does not commit.
 */
async function applyAssumed(
  deps: ReconcilerDeps,
  claim: ClaimRow,
  action: ClaimAction,
): Promise<ApplyOutcome> {
  if (action.kind !== 'bind' || !deps.model) return applyClaimAction(deps, claim, action);
  const assumption = deps.model.assume(claim.id, {
    nodeId: action.nodeId,
    gpuIndices: action.gpuIndices,
    cpuMillis: claim.cpu_millis,
    memoryMiB: claim.memory_mib,
  });
  try {
    const outcome = await applyClaimAction(deps, claim, action);
    assumption.commit();
    return outcome;
  } catch (e) {
    assumption.rollback();
    throw e;
  }
}

/**
 * Known is used to carry what one step of a reconcile knows into the next: the claim row as the
 * step wrote it (or read it, when it wrote nothing), and the node's state when the claim stayed
 * on the node it was read with. A write from elsewhere meanwhile makes the next write's version
 * guard fail, and the queue retries from a fresh read, as it would after a read that raced.
 */
interface Known {
  claim: ClaimRowWithNames;
  node?: NodeState;
}

interface Perceived {
  state: ClaimState;
  claim: ClaimRowWithNames;
}

function knownAfter(outcome: ApplyOutcome, perceived: Perceived): Known | undefined {
  if (outcome.kind === 'created') return { claim: perceived.claim, node: perceived.state.node };
  if (outcome.kind === 'again' && outcome.claim) return { claim: outcome.claim };
  return undefined;
}

/** perceive is used to read one claim's state, and only what observationsFor says it needs. */
async function perceive(
  deps: ReconcilerDeps,
  claimId: string,
  created: CreateOutcome | undefined,
  known: Known | undefined,
): Promise<Perceived | undefined> {
  const claim = known?.claim ?? (await selectClaims(deps.db, { id: claimId }, 1))[0];
  if (!claim) return undefined;
  const node =
    known?.node ??
    nodeStateOf(
      claim,
      claim.node_id === null ? undefined : await findNodeReach(deps.db, claim.node_id),
      deps.agentTokenKey,
    );
  const needs = observationsFor(claim, node);
  const state: ClaimState = { claim, spec: parseSpec(claim), node };
  if (created) state.created = created;
  if (needs.cluster) {
    const names = (state.spec.volumes ?? []).map((v) => v.name);
    const volumes = { ownerId: claim.owner_id, names };
    state.cluster = deps.model
      ? {
          indexed: await deps.model.view(),
          volumeNodes: names.length === 0 ? {} : await volumeNodes(deps.db, claim.owner_id, names),
        }
      : await readClusterSnapshot(deps.db, volumes);
  }
  if (node.kind === 'ready' && needs.container && claim.container_id !== null)
    state.container = await observeContainer(deps.agents, node, claim.container_id);
  if (node.kind === 'ready' && needs.claimContainers) {
    const all = await deps.agents.listContainers(node.target);
    state.claimContainers = all.filter((c) => c.claim_id === claim.id).map((c) => c.id);
  }
  return { state, claim };
}

/** nodeStateOf is used to turn the claim's node row into what the controller can do with it. */
export function nodeStateOf(
  claim: Pick<ClaimRow, 'node_id'>,
  node: NodeReach | undefined,
  agentTokenKey: string,
): NodeState {
  if (claim.node_id === null) return { kind: 'none' };
  if (!node) return { kind: 'deleted' };
  if (node.status === 'Offline') return { kind: 'offline', hostname: node.hostname };
  const target = agentTargetOf(node, agentTokenKey);
  if (node.status !== 'Online' || !target) return { kind: 'unready', hostname: node.hostname };
  return { kind: 'ready', hostname: node.hostname, target };
}

async function observeContainer(
  agents: AgentClient,
  node: Extract<NodeState, { kind: 'ready' }>,
  containerId: string,
): Promise<ContainerObservation> {
  const info = await agents.getContainer(node.target, containerId);
  if (!info) return { kind: 'missing' };
  if (isAliveStatus(info.status)) return { kind: 'alive' };
  return { kind: 'exited', exitCode: info.exit_code ?? null };
}
