// The scheduler's entry point: a pure function of its arguments (no I/O, no clock, no randomness),
// so the controller can replay any decision from the rows it read.
import { formatInvalidRequestReason } from './reasons.js';
import { createStack, emptyMetrics } from './stack.js';
import type {
  NodeView,
  PlacementRequest,
  PlacementResult,
  ReservationView,
  SchedulingPolicy,
  UsageView,
} from './types.js';

/**
 * schedule is used to choose a node and exact GPU indices for one claim, or to say why none fits.
 * The same input always gives the same output, whatever the order of `nodes` or `reservations`.
 */
export function schedule(
  req: PlacementRequest,
  nodes: readonly NodeView[],
  reservations: readonly ReservationView[],
  policy: SchedulingPolicy,
  usage: readonly UsageView[] = [],
): PlacementResult {
  const invalid = formatInvalidRequestReason(req);
  // Zero nodes evaluated: the request is rejected before the pipeline runs.
  if (invalid !== undefined) return { placed: false, reason: invalid, metrics: emptyMetrics(0) };
  return createStack(reservations, policy, usage).select(req, nodes);
}
