// Why a node was rejected, as stable constants (stored in metrics, counted in Prometheus) and as the
// sentence a person reads on a pending claim ("0/5 nodes fit: 3 have fewer than 4 free GPUs, ...").
import type { PlacementMetrics, PlacementRequest } from './types.js';

/** FilterReason is used to name the filter that rejected a node. */
export const FilterReason = {
  Offline: 'node offline',
  Registering: 'node registering',
  Cordoned: 'node cordoned',
  NodeSelectorMismatch: 'node selector mismatch',
  MissingGpuModel: 'missing gpu model',
  InsufficientGpuMemory: 'insufficient gpu memory',
} as const;
/** FilterReason is used to type the values of the FilterReason constants. */
export type FilterReason = (typeof FilterReason)[keyof typeof FilterReason];

/** ExhaustedDimension is used to name the resource a feasible-looking node ran out of. */
export const ExhaustedDimension = {
  // Only whole GPUs are shared between claims; GPU memory is a per-GPU attribute (a filter).
  Gpu: 'gpu',
  // The sums of the live claims' limits against the node's reported capacity.
  Cpu: 'cpu',
  Memory: 'memory',
} as const;
/** ExhaustedDimension is used to type the values of the ExhaustedDimension constants. */
export type ExhaustedDimension = (typeof ExhaustedDimension)[keyof typeof ExhaustedDimension];

/** NO_NODES_REASON is used when the cluster has no node at all. */
export const NO_NODES_REASON = '0/0 nodes fit: no nodes are registered';

/**
 * ExhaustedFigures is used to say, per CPU or memory, how close the closest node came: the most
 * free of any node exhausted in that dimension (thousandths of a CPU, or MiB), and its total.
 */
export type ExhaustedFigures = Partial<
  Record<typeof ExhaustedDimension.Cpu | typeof ExhaustedDimension.Memory, FreeOfTotal>
>;

/** FreeOfTotal is used for one node's free capacity in a dimension. */
export interface FreeOfTotal {
  free: number;
  total: number;
}

type Phrase = (count: number, req: PlacementRequest, figures: ExhaustedFigures) => string;

const plural = (count: number, one: string, many: string): string => (count === 1 ? one : many);

// Listed in pipeline order: that order breaks ties between equal counts, so the text is stable.
const PHRASES: ReadonlyArray<readonly [FilterReason | ExhaustedDimension, Phrase]> = [
  [FilterReason.Offline, (n) => `${plural(n, 'is', 'are')} Offline`],
  [FilterReason.Registering, (n) => `${plural(n, 'is', 'are')} Registering`],
  [FilterReason.Cordoned, (n) => `${plural(n, 'is', 'are')} cordoned`],
  [FilterReason.NodeSelectorMismatch, (n) => `${plural(n, 'does', 'do')} not match nodeSelector`],
  [
    FilterReason.MissingGpuModel,
    (n, r) => `${plural(n, 'has', 'have')} no GPU model "${r.gpuModel ?? ''}"`,
  ],
  [
    FilterReason.InsufficientGpuMemory,
    (n, r) => `${plural(n, 'has', 'have')} no GPU with at least ${r.minGpuMemoryMiB ?? 0} MiB`,
  ],
  [ExhaustedDimension.Gpu, (n, r) => `${plural(n, 'has', 'have')} ${describeFreeGpus(r.gpuCount)}`],
  [
    ExhaustedDimension.Cpu,
    (n, r, f) =>
      `${plural(n, 'has', 'have')} insufficient CPU: ${freeOf(n, f.cpu, cpus)}, ${cpus(r.cpuMillis ?? 0)} asked`,
  ],
  [
    ExhaustedDimension.Memory,
    (n, r, f) =>
      `${plural(n, 'has', 'have')} insufficient memory: ${freeOf(n, f.memory, mib)} MiB, ${r.memoryMiB ?? 0} asked`,
  ],
];

const cpus = (millis: number): string => String(millis / 1000);
const mib = (n: number): string => String(n);

function freeOf(count: number, f: FreeOfTotal | undefined, show: (n: number) => string): string {
  if (f === undefined) return 'not enough free';
  return `${count === 1 ? '' : 'at most '}${show(f.free)} free of ${show(f.total)}`;
}

function describeFreeGpus(gpuCount: number): string {
  return gpuCount === 1 ? 'no free GPU' : `fewer than ${gpuCount} free GPUs`;
}

/** formatUnplacedReason is used to explain to a person why no node fits, largest count first. */
export function formatUnplacedReason(
  req: PlacementRequest,
  metrics: PlacementMetrics,
  figures: ExhaustedFigures = {},
): string {
  if (metrics.nodesEvaluated === 0) return NO_NODES_REASON;
  const counts: Partial<Record<string, number>> = {
    ...metrics.filteredByReason,
    ...metrics.exhaustedByDimension,
  };
  const parts = PHRASES.map(([key, phrase], order) => ({ count: counts[key] ?? 0, phrase, order }))
    .filter((p) => p.count > 0)
    .sort((a, b) => b.count - a.count || a.order - b.order)
    .map((p) => `${p.count} ${p.phrase(p.count, req, figures)}`);
  return `0/${metrics.nodesEvaluated} nodes fit: ${parts.join(', ')}`;
}

/** formatInvalidRequestReason is used when the request itself can never be placed. */
export function formatInvalidRequestReason(req: PlacementRequest): string | undefined {
  if (!Number.isInteger(req.gpuCount) || req.gpuCount < 1) {
    return `gpuCount must be a positive integer, got ${String(req.gpuCount)}`;
  }
  return undefined;
}
