// Ranking. Scorers turn a feasible node into a number in [-1, 1]; the stack averages them and a
// separate selection step picks the best, so a new preference is a new scorer, not a new branch.
import type { GpuFit } from './capacity.js';
import type { NodeView, PlacementRequest, SchedulingPolicy } from './types.js';

/** Candidate is used to carry a feasible node together with the GPUs chosen on it. */
export interface Candidate {
  node: NodeView;
  fit: GpuFit;
}

/** Scorer is used to rank feasible nodes; it returns a value in [-1, 1], higher is better. */
export interface Scorer {
  readonly name: string;
  /** False when the scorer has no opinion on this request: it then stays out of the mean. */
  appliesTo?(req: PlacementRequest): boolean;
  score(candidate: Candidate, req: PlacementRequest): number;
}

/**
 * BestFitScorer is used to pack claims tightly: the fewer free GPUs a node keeps after placement,
 * the higher it scores, so big holes stay open for big claims. 1/(1+n) keeps the order of the
 * absolute count n without needing the cluster's largest node to normalise.
 */
export const BestFitScorer: Scorer = {
  name: 'best-fit',
  score: ({ fit }) => 1 / (1 + fit.freeAfter),
};

/** FirstFitScorer is used for the original design: every node scores alike, so node-id order wins. */
export const FirstFitScorer: Scorer = {
  name: 'first-fit',
  score: () => 0,
};

/**
 * VolumeAffinityScorer is used to prefer the node that already holds the claim's named volumes
 * (their data lives there): the share of the claim's volumes found on the node, in [0, 1]. As a
 * best-fit score lies in (0, 1], a node holding all of them outranks any node holding none.
 */
export const VolumeAffinityScorer: Scorer = {
  name: 'volume-affinity',
  appliesTo: (req) => Object.keys(req.volumeNodes ?? {}).length > 0,
  score({ node }, req) {
    const holders = Object.values(req.volumeNodes ?? {});
    if (holders.length === 0) return 0;
    return holders.filter((nodeIds) => nodeIds.includes(node.id)).length / holders.length;
  },
};

/** scorersFor is used to map a policy to its scorers. */
export function scorersFor(policy: SchedulingPolicy): readonly Scorer[] {
  return [policy === 'first-fit' ? FirstFitScorer : BestFitScorer, VolumeAffinityScorer];
}

/** meanScore is used to combine the normalised scores of the scorers that apply into one. */
export function meanScore(scorers: readonly Scorer[], c: Candidate, req: PlacementRequest): number {
  const applying = scorers.filter((s) => s.appliesTo?.(req) ?? true);
  if (applying.length === 0) return 0;
  return applying.reduce((sum, s) => sum + s.score(c, req), 0) / applying.length;
}
