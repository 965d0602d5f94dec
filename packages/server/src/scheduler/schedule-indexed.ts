// Placement against the cluster model's indexes (no rows, no parsing, no sort of all nodes). The
// free-GPU index lists nodes in either policy's rank order, so the first node that passes the
// filters and capacity checks is the answer; everything else takes the full pipeline.
import type { ReservationIndex } from './capacity.js';
import type { FreeGpuIndex } from './free-gpu-index.js';
import { formatInvalidRequestReason } from './reasons.js';
import type { UsageIndex } from './resources.js';
import { meanScore } from './scorers.js';
import { createIndexedStack, emptyMetrics, type Stack } from './stack.js';
import type { NodeView, PlacementRequest, PlacementResult, SchedulingPolicy } from './types.js';

/** IndexedCluster is used to hand the scheduler the cluster model's read-only view. */
export interface IndexedCluster {
  /** Every node, ascending by id. */
  readonly nodes: readonly NodeView[];
  readonly nodeById: ReadonlyMap<string, NodeView>;
  readonly reservations: ReservationIndex;
  readonly usage: UsageIndex;
  /** Online, schedulable nodes by free GPU count (per model). */
  readonly free: FreeGpuIndex;
  /** Whether a claim holds GPU reservations now (then best-fit must prefer its own node). */
  holdsGpus(claimId: string): boolean;
}

/**
 * scheduleIndexed is used by the controller: the same answer (node and GPU indices) as
 * schedule() over the same cluster, which schedule-indexed.property.test.ts checks against it.
 * On the index path the metrics count only the nodes looked at (the first fit is the best).
 */
export function scheduleIndexed(
  req: PlacementRequest,
  cluster: IndexedCluster,
  policy: SchedulingPolicy,
): PlacementResult {
  const invalid = formatInvalidRequestReason(req);
  if (invalid !== undefined) return { placed: false, reason: invalid, metrics: emptyMetrics(0) };
  const stack = createIndexedStack(cluster.reservations, cluster.usage, policy);
  // The policy's order is the index's order only when no other scorer applies and the claim has
  // no GPUs of its own (those win over any score): best-fit walks fewest-free-first, first-fit
  // (every node scores alike, so the lowest id wins) walks by id.
  const indexed =
    Object.keys(req.volumeNodes ?? {}).length === 0 && !cluster.holdsGpus(req.claimId);
  if (indexed) {
    const order =
      policy === 'best-fit'
        ? cluster.free.candidates(req.gpuModel, req.gpuCount)
        : cluster.free.candidatesById(req.gpuModel, req.gpuCount);
    const placed = firstThatFits(req, order, cluster, stack);
    if (placed) return placed;
  }
  // Nothing fits (or the index cannot rank): the full pipeline says why, node by node.
  return stack.select(req, cluster.nodes);
}

function firstThatFits(
  req: PlacementRequest,
  order: Iterable<string>,
  cluster: IndexedCluster,
  stack: Stack,
): PlacementResult | undefined {
  let looked = 0;
  for (const id of order) {
    const node = cluster.nodeById.get(id);
    if (node === undefined) continue;
    looked++;
    const fit = stack.fits(req, node);
    if (fit === undefined) continue;
    const score = meanScore(stack.scorers, { node, fit }, req);
    const metrics = emptyMetrics(looked);
    metrics.nodesFiltered = looked - 1;
    metrics.nodesFeasible = 1;
    metrics.chosenScore = score;
    metrics.topScores = [{ nodeId: node.id, score }];
    return { placed: true, nodeId: node.id, gpuIndices: fit.gpuIndices, metrics };
  }
  return undefined;
}
