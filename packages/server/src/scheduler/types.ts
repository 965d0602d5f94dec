// The scheduler's view of the cluster. These are plain, read-only values that the controller builds
// from database rows, so the scheduler never touches I/O and every placement can be replayed.
import type { ExhaustedDimension, FilterReason } from './reasons.js';

/** NodeStatus is used to tell whether a node's agent can currently be reached. */
export type NodeStatus = 'Registering' | 'Online' | 'Offline';

/** GpuView is used to describe one GPU of a node's inventory. */
export interface GpuView {
  index: number;
  uuid: string;
  model: string;
  memoryTotalMiB: number;
}

/** NodeCapacityView is used for what claims may use of a node in all: CPU (thousandths), memory. */
export interface NodeCapacityView {
  cpuMillis: number;
  memoryMiB: number;
}

/** NodeView is used to give the scheduler one node with its labels and GPU inventory. */
export interface NodeView {
  id: string;
  hostname: string;
  status: NodeStatus;
  /** False when an operator cordoned the node: it keeps its claims but takes no new ones. */
  schedulable: boolean;
  labels: Readonly<Record<string, string>>;
  gpus: readonly GpuView[];
  /** undefined when the agent reported none (an older agent): CPU and memory go unchecked there. */
  capacity?: NodeCapacityView;
}

/** UsageView is used to count the CPU and memory a live claim holds on its node. */
export interface UsageView {
  nodeId: string;
  claimId: string;
  cpuMillis: number;
  memoryMiB: number;
}

/** ReservationView is used to mark one GPU (node + index) as taken by a claim. */
export interface ReservationView {
  nodeId: string;
  gpuIndex: number;
  claimId: string;
}

/** PlacementRequest is used to say what one claim needs; it is immutable for a whole evaluation. */
export interface PlacementRequest {
  claimId: string;
  gpuCount: number;
  /** Exact model name as the node reports it; compared case-insensitively. */
  gpuModel?: string;
  minGpuMemoryMiB?: number;
  nodeSelector?: Readonly<Record<string, string>>;
  /** CPU limit in thousandths; absent or 0: none, so nothing is reserved. */
  cpuMillis?: number;
  /** Memory limit in MiB; absent or 0: none. */
  memoryMiB?: number;
  /** For each of the claim's named volumes, the nodes that already hold one of that name. */
  volumeNodes?: Readonly<Record<string, readonly string[]>>;
}

/** SchedulingPolicy is used to choose how the scheduler ranks the nodes that fit. */
export type SchedulingPolicy = 'first-fit' | 'best-fit';

/** SCHEDULING_POLICIES is used to validate configuration values. */
export const SCHEDULING_POLICIES: readonly SchedulingPolicy[] = ['first-fit', 'best-fit'];

/** DEFAULT_SCHEDULING_POLICY is used when the operator configures none. */
export const DEFAULT_SCHEDULING_POLICY: SchedulingPolicy = 'best-fit';

/** NodeScore is used to report how one feasible node ranked. */
export interface NodeScore {
  nodeId: string;
  score: number;
}

/** PlacementMetrics is used to explain a placement decision (stored on the claim, exported as metrics). */
export interface PlacementMetrics {
  /** Every node given to the scheduler. */
  nodesEvaluated: number;
  /** Nodes rejected by a filter (status, cordon, selector, GPU model, GPU memory). */
  nodesFiltered: number;
  filteredByReason: Partial<Record<FilterReason, number>>;
  /** Nodes that passed the filters but lacked free capacity. */
  nodesExhausted: number;
  exhaustedByDimension: Partial<Record<ExhaustedDimension, number>>;
  /** Nodes where the claim fits. */
  nodesFeasible: number;
  /** Score of the chosen node, or null when nothing was placed. */
  chosenScore: number | null;
  /** The best feasible nodes in rank order (at most TOP_SCORES_LIMIT). */
  topScores: NodeScore[];
}

/** PlacementResult is used to return either a placement or, as data (never a throw), why none exists. */
export type PlacementResult =
  | { placed: true; nodeId: string; gpuIndices: number[]; metrics: PlacementMetrics }
  | { placed: false; reason: string; metrics: PlacementMetrics };
