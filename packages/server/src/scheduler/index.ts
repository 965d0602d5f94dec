// Public surface of the scheduler: the controller imports from here only.
export type {
  GpuView,
  NodeCapacityView,
  NodeScore,
  NodeStatus,
  NodeView,
  PlacementMetrics,
  PlacementRequest,
  PlacementResult,
  ReservationView,
  SchedulingPolicy,
  UsageView,
} from './types.js';
export { DEFAULT_SCHEDULING_POLICY, SCHEDULING_POLICIES } from './types.js';
export {
  ExhaustedDimension,
  FilterReason,
  NO_NODES_REASON,
  formatUnplacedReason,
} from './reasons.js';
export type { FilterResult, Filter } from './filters.js';
export type { Candidate, Scorer } from './scorers.js';
export type { GpuFit, ReservationIndex } from './capacity.js';
export { freeGpuIndices, isEligibleGpu, largestNodeGpuCount } from './capacity.js';
export { compareIds, createStack, TOP_SCORES_LIMIT, type Stack } from './stack.js';
export { schedule } from './schedule.js';
export { scheduleIndexed, type IndexedCluster } from './schedule-indexed.js';
export { FreeGpuIndex } from './free-gpu-index.js';
