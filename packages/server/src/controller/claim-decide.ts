// The reconciler's choice of next step, as a pure function of what it perceived (Nomad's
// reconciler shape: compute the action from state, then let a thin layer do the I/O).
import { shmSizeMiBOf, type AgentCreateContainerRequest } from '@utopia/shared';
import type { AgentTarget } from '../agent-client/agent-client.js';
import { cpuMillis, parseGpuIds } from '../claims/claims.repository.js';
import {
  schedule,
  scheduleIndexed,
  type PlacementMetrics,
  type PlacementRequest,
  type PlacementResult,
} from '../scheduler/index.js';
import {
  isDeleting,
  isRescheduleRequested,
  type ClaimState,
  type ClusterView,
  type DecideOptions,
} from './claim-state.js';

/** ContainersToRemove is used by actions that remove a claim's containers before the write. */
export interface ContainersToRemove {
  target: AgentTarget;
  ids: readonly string[];
}

/** ClaimAction is used to say the one next step for a claim; applyClaimAction carries it out. */
export type ClaimAction =
  /** Nothing to do now; look again after requeueAfterMs (or when an event wakes the claim). */
  | { kind: 'wait'; requeueAfterMs?: number }
  /** Stays Pending, saying why (written only when the why changed). */
  | { kind: 'recordUnschedulable'; message: string; placement: PlacementMetrics }
  | {
      kind: 'bind';
      nodeId: string;
      /** As the scheduler saw it: the bind's change-log row names the node without a read. */
      nodeHostname?: string;
      gpuIndices: readonly number[];
      message: string;
      placement: PlacementMetrics;
    }
  | { kind: 'createContainer'; target: AgentTarget; request: AgentCreateContainerRequest }
  /** volumeNames: the named volumes that now exist on the claim's node. */
  | { kind: 'markRunning'; containerId: string; message: string; volumeNames: readonly string[] }
  /** The agent could not be asked (or refused for now): say so once, then retry with backoff. */
  | { kind: 'retryLater'; message: string | undefined; error: Error }
  | { kind: 'fail'; reason: string; message: string }
  | {
      kind: 'restart';
      target: AgentTarget;
      containerId: string;
      restartCount: number;
      exitCode: number | null;
      delayMs: number;
      message: string;
    }
  | { kind: 'finish'; succeeded: boolean; exitCode: number | null; message: string }
  /** Back to Pending with the GPUs released (node lost, deleted or drained). */
  | {
      kind: 'reschedule';
      reason: string;
      message: string;
      eventType: 'Normal' | 'Warning';
      remove: ContainersToRemove | undefined;
    }
  | { kind: 'markTerminating' }
  /** The claim's containers go, then its GPUs, events and row. */
  | { kind: 'remove'; remove: ContainersToRemove | undefined };

/** MAX_RESTART_BACKOFF_MS is used to cap the delay between restarts of a crashing container. */
export const MAX_RESTART_BACKOFF_MS = 300_000;

const ALIVE_STATUSES = new Set(['running', 'created', 'restarting', 'pulling']);

/** isAliveStatus is used to read an agent's container status as "still running or about to". */
export function isAliveStatus(status: string): boolean {
  return ALIVE_STATUSES.has(status);
}

/**
 * decideClaimAction is used by the reconciler for every step: the user's deletion wins over
 * everything, then a drain's request to move, then the phase's own goal.
 */
export function decideClaimAction(state: ClaimState, opts: DecideOptions): ClaimAction {
  if (isDeleting(state.claim)) return decideDeletion(state);
  if (isRescheduleRequested(state.claim)) return decideDrain(state);
  switch (state.claim.phase) {
    case 'Pending':
      return decidePending(state, opts);
    case 'Scheduled':
      return decideScheduled(state, opts);
    case 'Running':
      return decideRunning(state, opts);
    default:
      return { kind: 'wait' }; // Succeeded and Failed are final; Terminating only follows deletion
  }
}

function decideDeletion(state: ClaimState): ClaimAction {
  if (state.claim.phase !== 'Terminating') return { kind: 'markTerminating' };
  // An Offline or deleted node cannot be asked; when it comes back, the orphan sweep removes
  // whatever container is left there.
  return { kind: 'remove', remove: containersToRemove(state) };
}

function decideDrain(state: ClaimState): ClaimAction {
  const hostname = 'hostname' in state.node ? state.node.hostname : 'its node';
  return {
    kind: 'reschedule',
    reason: 'NodeDrained',
    message: `node ${hostname} is being drained; rescheduling`,
    eventType: 'Normal',
    remove: containersToRemove(state),
  };
}

function containersToRemove(state: ClaimState): ContainersToRemove | undefined {
  if (state.node.kind !== 'ready' || !state.claimContainers?.length) return undefined;
  return { target: state.node.target, ids: state.claimContainers };
}

function decidePending(state: ClaimState, opts: DecideOptions): ClaimAction {
  const { cluster, spec, claim } = state;
  if (!cluster) return { kind: 'wait' };
  const req: PlacementRequest = {
    claimId: claim.id,
    gpuCount: spec.resources.gpuCount,
    ...(spec.resources.gpuModel === undefined ? {} : { gpuModel: spec.resources.gpuModel }),
    ...(spec.resources.minGpuMemoryMiB === undefined
      ? {}
      : { minGpuMemoryMiB: spec.resources.minGpuMemoryMiB }),
    ...(spec.nodeSelector === undefined ? {} : { nodeSelector: spec.nodeSelector }),
    cpuMillis: cpuMillis(spec.resources.cpus),
    memoryMiB: spec.resources.memoryMiB ?? 0,
    ...(spec.volumes?.length ? { volumeNodes: cluster.volumeNodes } : {}),
  };
  const result = place(req, cluster, opts);
  if (!result.placed) {
    // Say why, once: rewriting the same reason on every retry would only churn the row. Woken
    // again when nodes or reservations change, and by the resync.
    const same = claim.reason === 'Unschedulable' && claim.message === result.reason;
    return same
      ? { kind: 'wait' }
      : { kind: 'recordUnschedulable', message: result.reason, placement: result.metrics };
  }
  const node =
    'indexed' in cluster
      ? cluster.indexed.nodeById.get(result.nodeId)
      : cluster.nodes.find((n) => n.id === result.nodeId);
  return {
    kind: 'bind',
    nodeId: result.nodeId,
    ...(node ? { nodeHostname: node.hostname } : {}),
    gpuIndices: result.gpuIndices,
    message: `bound to node ${node?.hostname ?? result.nodeId}, GPUs [${result.gpuIndices.join(', ')}]`,
    placement: result.metrics,
  };
}

function place(req: PlacementRequest, cluster: ClusterView, opts: DecideOptions): PlacementResult {
  if ('indexed' in cluster) return scheduleIndexed(req, cluster.indexed, opts.policy);
  return schedule(req, cluster.nodes, cluster.reservations, opts.policy, cluster.usage);
}

function lostNode(state: ClaimState): ClaimAction | undefined {
  const { node } = state;
  if (node.kind !== 'deleted' && node.kind !== 'offline' && node.kind !== 'none') return undefined;
  const why =
    node.kind === 'offline' ? `node ${node.hostname} is Offline` : 'its node no longer exists';
  return {
    kind: 'reschedule',
    reason: node.kind === 'offline' ? 'NodeLost' : 'NodeDeleted',
    message: `${why}; GPUs released, rescheduling`,
    eventType: 'Warning',
    remove: undefined,
  };
}

function decideScheduled(state: ClaimState, opts: DecideOptions): ClaimAction {
  const lost = lostNode(state);
  if (lost) return lost;
  if (state.node.kind !== 'ready') return { kind: 'wait', requeueAfterMs: opts.runningCheckMs };
  const { created } = state;
  if (created?.kind === 'created') {
    return {
      kind: 'markRunning',
      containerId: created.containerId,
      message: `container ${created.containerId.slice(0, 12)} started on ${state.node.hostname}`,
      volumeNames: (state.spec.volumes ?? []).map((v) => v.name),
    };
  }
  if (created?.kind === 'refused') {
    if (created.permanent)
      return { kind: 'fail', reason: created.reason, message: created.message };
    return {
      kind: 'retryLater',
      message: state.claim.reason === 'AgentUnavailable' ? undefined : created.message,
      error: created.error,
    };
  }
  return { kind: 'createContainer', target: state.node.target, request: createRequest(state) };
}

function createRequest({ claim, spec }: ClaimState): AgentCreateContainerRequest {
  return {
    claim_id: claim.id,
    image: spec.image,
    gpu_ids: parseGpuIds(claim),
    env_vars: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
    port_mappings: (spec.ports ?? []).map((p) => ({
      host_port: 0,
      container_port: p.containerPort,
      protocol: p.protocol ?? 'tcp',
    })),
    ...(spec.command === undefined ? {} : { command: spec.command }),
    ...(spec.resources.cpus === undefined ? {} : { cpus: spec.resources.cpus }),
    ...(spec.resources.memoryMiB === undefined ? {} : { memory_mib: spec.resources.memoryMiB }),
    shm_size_mib: shmSizeMiBOf(spec),
    ...(spec.volumes?.length
      ? {
          named_volumes: spec.volumes.map((v) => ({
            owner: claim.owner_id,
            name: v.name,
            mount_path: v.mountPath,
            read_only: v.readOnly ?? false,
          })),
        }
      : {}),
    ...(spec.hostPaths?.length
      ? {
          host_paths: spec.hostPaths.map((h) => ({
            path: h.path,
            mount_path: h.mountPath,
            read_only: h.readOnly ?? false,
          })),
        }
      : {}),
  };
}

function decideRunning(state: ClaimState, opts: DecideOptions): ClaimAction {
  const lost = lostNode(state);
  if (lost) return lost;
  const { claim, node, container } = state;
  if (node.kind !== 'ready' || claim.container_id === null || container === undefined)
    return { kind: 'wait', requeueAfterMs: opts.runningCheckMs };
  if (container.kind === 'alive') return { kind: 'wait', requeueAfterMs: opts.runningCheckMs };
  const exitCode = container.kind === 'exited' ? container.exitCode : null;
  const what =
    container.kind === 'exited'
      ? `container exited with code ${exitCode ?? 'unknown'}`
      : 'container disappeared';
  const policy = state.spec.restartPolicy ?? 'Always';
  if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
    const restartCount = claim.restart_count + 1;
    const delayMs = restartDelayMs(opts.restartBackoffMs, restartCount);
    return {
      kind: 'restart',
      target: node.target,
      containerId: claim.container_id,
      restartCount,
      exitCode,
      delayMs,
      message: `${what}; restarting in ${Math.round(delayMs / 100) / 10} s (restart ${restartCount})`,
    };
  }
  return { kind: 'finish', succeeded: exitCode === 0, exitCode, message: what };
}

/** restartDelayMs is used to back off restarts exponentially from the configured base, capped. */
export function restartDelayMs(baseMs: number, restartCount: number): number {
  return Math.min(baseMs * 2 ** Math.min(restartCount - 1, 16), MAX_RESTART_BACKOFF_MS);
}
