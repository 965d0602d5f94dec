// The placement pipeline: filter → capacity → rank → select, built in one place so its order (and
// the reasons it records) can be read top to bottom.
import { fitGpus, indexReservations, type GpuFit, type ReservationIndex } from './capacity.js';
import {
  GpuMemoryFilter,
  GpuModelFilter,
  NodeSelectorFilter,
  NodeStatusFilter,
  SchedulableFilter,
  type Filter,
} from './filters.js';
import {
  ExhaustedDimension,
  formatUnplacedReason,
  type ExhaustedFigures,
  type FilterReason,
} from './reasons.js';
import { indexUsage, resourceShortage, type UsageIndex } from './resources.js';
import { meanScore, scorersFor, type Candidate, type Scorer } from './scorers.js';
import type {
  NodeView,
  PlacementMetrics,
  PlacementRequest,
  PlacementResult,
  ReservationView,
  SchedulingPolicy,
  UsageView,
} from './types.js';

/** TOP_SCORES_LIMIT is used to bound how many ranked nodes the metrics keep. */
export const TOP_SCORES_LIMIT = 5;

/** Stack is used to place one claim against a fixed snapshot of reservations. */
export interface Stack {
  readonly filters: readonly Filter[];
  readonly scorers: readonly Scorer[];
  select(req: PlacementRequest, nodes: readonly NodeView[]): PlacementResult;
  /** fits is used to check one node through the same filters and capacity checks as select. */
  fits(req: PlacementRequest, node: NodeView): GpuFit | undefined;
}

interface RankedCandidate extends Candidate {
  score: number;
}

/** createStack is used to build the scheduling pipeline for one snapshot of reservations. */
export function createStack(
  reservations: readonly ReservationView[],
  policy: SchedulingPolicy,
  usage: readonly UsageView[] = [],
): Stack {
  return createIndexedStack(indexReservations(reservations), indexUsage(usage), policy);
}

/**
 * createIndexedStack is used by the cluster model, which keeps the reservation and usage
 * indexes current itself instead of rebuilding them from rows for every placement.
 */
export function createIndexedStack(
  index: ReservationIndex,
  usageIndex: UsageIndex,
  policy: SchedulingPolicy,
): Stack {
  const filters: readonly Filter[] = [
    // Status first: one string compare that rejects Offline/Registering nodes before any other work,
    // and the most common reason during an outage.
    NodeStatusFilter,
    // Cordon is a single boolean: as cheap as status, and an operator's explicit intent.
    SchedulableFilter,
    // Label matching walks only the (small) selector.
    NodeSelectorFilter,
    // GPU model and then memory walk the GPU inventory; memory only counts GPUs of the right model,
    // so it must come after the model check for the reason to name the real cause.
    GpuModelFilter,
    GpuMemoryFilter,
  ];
  // Capacity runs last before ranking: it is the only stage that reads reservations, and a node
  // that fails it is "exhausted" (it could fit later), not "filtered" (it never can).
  // GPUs first, then CPU and memory: whole GPUs are the scarce dimension people ask about.
  // Ranking follows the policy; selection (own reservations, then score, then node id) is separate.
  const scorers = scorersFor(policy);
  return {
    filters,
    scorers,
    select: (req, nodes) => selectNode(req, nodes, { filters, scorers, index, usageIndex }),
    fits: (req, node) => fitOn(req, node, { filters, scorers, index, usageIndex }),
  };
}

interface Pipeline {
  filters: readonly Filter[];
  scorers: readonly Scorer[];
  index: ReservationIndex;
  usageIndex: UsageIndex;
}

function selectNode(
  req: PlacementRequest,
  nodes: readonly NodeView[],
  pipeline: Pipeline,
): PlacementResult {
  const metrics = emptyMetrics(nodes.length);
  const figures: ExhaustedFigures = {};
  const candidates: RankedCandidate[] = [];
  for (const node of sortById(nodes)) {
    const rejected = firstRejection(pipeline.filters, node, req);
    if (rejected !== undefined) {
      metrics.nodesFiltered += 1;
      metrics.filteredByReason[rejected] = (metrics.filteredByReason[rejected] ?? 0) + 1;
      continue;
    }
    const fit = fitGpus(node, req, pipeline.index);
    const short = fit.fits ? resourceShortage(node, req, pipeline.usageIndex) : undefined;
    if (!fit.fits || short !== undefined) {
      metrics.nodesExhausted += 1;
      const dim = short?.dimension ?? ExhaustedDimension.Gpu;
      metrics.exhaustedByDimension[dim] = (metrics.exhaustedByDimension[dim] ?? 0) + 1;
      // The closest miss is what a person can act on ("at most 2048 MiB free of 16384").
      if (short && (figures[short.dimension]?.free ?? -1) < short.free)
        figures[short.dimension] = { free: short.free, total: short.total };
      continue;
    }
    const candidate = { node, fit };
    candidates.push({ ...candidate, score: meanScore(pipeline.scorers, candidate, req) });
  }
  return finish(req, rank(candidates), metrics, figures);
}

function fitOn(req: PlacementRequest, node: NodeView, pipeline: Pipeline): GpuFit | undefined {
  if (firstRejection(pipeline.filters, node, req) !== undefined) return undefined;
  const fit = fitGpus(node, req, pipeline.index);
  if (!fit.fits || resourceShortage(node, req, pipeline.usageIndex) !== undefined) return undefined;
  return fit;
}

function finish(
  req: PlacementRequest,
  ranked: readonly RankedCandidate[],
  metrics: PlacementMetrics,
  figures: ExhaustedFigures,
): PlacementResult {
  metrics.nodesFeasible = ranked.length;
  metrics.topScores = ranked
    .slice(0, TOP_SCORES_LIMIT)
    .map((c) => ({ nodeId: c.node.id, score: c.score }));
  const best = ranked[0];
  if (best === undefined)
    return { placed: false, reason: formatUnplacedReason(req, metrics, figures), metrics };
  metrics.chosenScore = best.score;
  return { placed: true, nodeId: best.node.id, gpuIndices: best.fit.gpuIndices, metrics };
}

function firstRejection(
  filters: readonly Filter[],
  node: NodeView,
  req: PlacementRequest,
): FilterReason | undefined {
  for (const filter of filters) {
    const result = filter.check(node, req);
    if (!result.ok) return result.reason;
  }
  return undefined;
}

/** compareIds is used to order ids by code unit, independent of the host's locale. */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function sortById(nodes: readonly NodeView[]): NodeView[] {
  return [...nodes].sort((a, b) => compareIds(a.id, b.id));
}

// A node already holding this claim's GPUs wins over any score: re-running the scheduler for a
// bound claim must return the same binding, or the controller would move a healthy claim.
function rank(candidates: readonly RankedCandidate[]): RankedCandidate[] {
  return [...candidates].sort(
    (a, b) =>
      b.fit.ownIndices.length - a.fit.ownIndices.length ||
      b.score - a.score ||
      compareIds(a.node.id, b.node.id),
  );
}

/** emptyMetrics is used to start counting for an evaluation over `nodesEvaluated` nodes. */
export function emptyMetrics(nodesEvaluated: number): PlacementMetrics {
  return {
    nodesEvaluated,
    nodesFiltered: 0,
    filteredByReason: {},
    nodesExhausted: 0,
    exhaustedByDimension: {},
    nodesFeasible: 0,
    chosenScore: null,
    topScores: [],
  };
}
