// What the reconciler perceives of one claim before it decides: plain values read from the
// database and the node's agent, so that `decideClaimAction` is a pure function of them.
import type { ClaimSpec } from '@utopia/shared';
import type { AgentTarget } from '../agent-client/agent-client.js';
import type { ClaimRow } from '../db/schema.js';
import type {
  IndexedCluster,
  NodeView,
  ReservationView,
  SchedulingPolicy,
  UsageView,
} from '../scheduler/index.js';

/** NodeState is used to say what the claim's node is now, as far as the controller can act on it. */
export type NodeState =
  /** The claim names no node (it is not bound). */
  | { kind: 'none' }
  /** The claim names a node whose row is gone (deleted by an admin). */
  | { kind: 'deleted' }
  | { kind: 'offline'; hostname: string }
  /** Registering, or no address or tunnel port yet: it cannot be called, nor given up on. */
  | { kind: 'unready'; hostname: string }
  | { kind: 'ready'; hostname: string; target: AgentTarget };

/** ContainerObservation is used to say what the agent reported of a Running claim's container. */
export type ContainerObservation =
  { kind: 'alive' } | { kind: 'exited'; exitCode: number | null } | { kind: 'missing' };

/** CreateOutcome is used to feed the result of this reconcile's container create back to decide. */
export type CreateOutcome =
  | { kind: 'created'; containerId: string }
  | { kind: 'refused'; permanent: boolean; reason: string; message: string; error: Error };

/** SnapshotClusterView is used to give the scheduler every node and reservation as read for this claim. */
export interface SnapshotClusterView {
  nodes: readonly NodeView[];
  reservations: readonly ReservationView[];
  /** CPU and memory held by bound claims. */
  usage: readonly UsageView[];
  /** For each of this claim's named volumes, the nodes that hold one (owner's own only). */
  volumeNodes: Readonly<Record<string, readonly string[]>>;
}

/** ModelClusterView is used to give the scheduler the leader's cluster model (no rows read). */
export interface ModelClusterView {
  indexed: IndexedCluster;
  volumeNodes: Readonly<Record<string, readonly string[]>>;
}

/** ClusterView is used for either: the controller uses the model, tests may pass rows. */
export type ClusterView = SnapshotClusterView | ModelClusterView;

/** ClaimState is used as the whole input of one decision. */
export interface ClaimState {
  claim: ClaimRow;
  spec: ClaimSpec;
  node: NodeState;
  /** Read only when the claim is Pending (see observationsFor). */
  cluster?: ClusterView;
  /** Read only for a Running claim on a ready node. */
  container?: ContainerObservation;
  /** Ids of the claim's containers on a ready node, read only when they are to be removed. */
  claimContainers?: readonly string[];
  /** Set only on the step right after this reconcile asked the agent to create the container. */
  created?: CreateOutcome;
}

/** DecideOptions is used to give decide the settings that shape its answers. */
export interface DecideOptions {
  policy: SchedulingPolicy;
  runningCheckMs: number;
  restartBackoffMs: number;
}

/** Observations is used to say which extra reads a claim in this state needs before deciding. */
export interface Observations {
  cluster: boolean;
  container: boolean;
  claimContainers: boolean;
}

/** isDeleting is used wherever the user's deletion request overrides every other goal. */
export function isDeleting(claim: Pick<ClaimRow, 'deletion_requested_at'>): boolean {
  return claim.deletion_requested_at !== null;
}

/** isRescheduleRequested is used for a bound claim that a node drain asked to move. */
export function isRescheduleRequested(
  claim: Pick<ClaimRow, 'reschedule_requested_at' | 'phase'>,
): boolean {
  return (
    claim.reschedule_requested_at !== null &&
    (claim.phase === 'Scheduled' || claim.phase === 'Running')
  );
}

/**
 * observationsFor is used by the reconciler to read only what the decision will look at: the
 * cluster for a Pending claim, the container for a Running one, the claim's containers when they
 * are about to be removed. A node that cannot be called is never asked anything.
 */
export function observationsFor(
  claim: Pick<ClaimRow, 'deletion_requested_at' | 'reschedule_requested_at' | 'phase'>,
  node: NodeState,
): Observations {
  const ready = node.kind === 'ready';
  const removing = isDeleting(claim) ? claim.phase === 'Terminating' : isRescheduleRequested(claim);
  return {
    cluster: !isDeleting(claim) && claim.phase === 'Pending',
    container: ready && !removing && !isDeleting(claim) && claim.phase === 'Running',
    claimContainers: ready && removing,
  };
}
