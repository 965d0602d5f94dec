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

/** scorersFor is used to map a policy to its scorers. */
export function scorersFor(policy: SchedulingPolicy): readonly Scorer[] {
  return policy === 'first-fit' ? [FirstFitScorer] : [BestFitScorer];
}

/** meanScore is used to combine normalised scores into one. */
export function meanScore(scorers: readonly Scorer[], c: Candidate, req: PlacementRequest): number {
  if (scorers.length === 0) return 0;
  return scorers.reduce((sum, s) => sum + s.score(c, req), 0) / scorers.length;
}
