// GPU capacity: which GPUs of a node a claim may use, and which of those are still free.
// Reservations (not a utilisation snapshot) are the source of truth, as the design requires.
import type { GpuView, NodeView, PlacementRequest, ReservationView } from './types.js';

/** ReservationIndex is used to look up the claim holding a GPU: nodeId → gpuIndex → claimId. */
export type ReservationIndex = ReadonlyMap<string, ReadonlyMap<number, string>>;

/** indexReservations is used to build the lookup once per evaluation instead of once per node. */
export function indexReservations(reservations: readonly ReservationView[]): ReservationIndex {
  const index = new Map<string, Map<number, string>>();
  for (const r of reservations) {
    let byGpu = index.get(r.nodeId);
    if (byGpu === undefined) {
      byGpu = new Map();
      index.set(r.nodeId, byGpu);
    }
    byGpu.set(r.gpuIndex, r.claimId);
  }
  return index;
}

/** matchesGpuModel is used to compare a requested model with a reported one (case-insensitive). */
export function matchesGpuModel(gpu: GpuView, model: string | undefined): boolean {
  return model === undefined || gpu.model.toLowerCase() === model.toLowerCase();
}

/** hasGpuMemory is used to check the per-GPU memory constraint of a request. */
export function hasGpuMemory(gpu: GpuView, minGpuMemoryMiB: number | undefined): boolean {
  return minGpuMemoryMiB === undefined || gpu.memoryTotalMiB >= minGpuMemoryMiB;
}

/** isEligibleGpu is used to tell whether a GPU meets every per-GPU constraint of a request. */
export function isEligibleGpu(gpu: GpuView, req: PlacementRequest): boolean {
  return matchesGpuModel(gpu, req.gpuModel) && hasGpuMemory(gpu, req.minGpuMemoryMiB);
}

function sortedUniqueIndices(gpus: readonly GpuView[]): number[] {
  return [...new Set(gpus.map((g) => g.index))].sort((a, b) => a - b);
}

/**
 * freeGpuIndices is used to list a node's unreserved GPU indices, ascending. GPUs reserved by
 * `claimId` count as free, so a claim re-scheduled after a crash finds its own GPUs again.
 */
export function freeGpuIndices(
  node: NodeView,
  reservations: readonly ReservationView[],
  claimId?: string,
): number[] {
  const taken = new Set(
    reservations
      .filter((r) => r.nodeId === node.id && r.claimId !== claimId)
      .map((r) => r.gpuIndex),
  );
  return sortedUniqueIndices(node.gpus).filter((i) => !taken.has(i));
}

/** largestNodeGpuCount is used to validate a claim's gpuCount (1 … the largest node). */
export function largestNodeGpuCount(nodes: readonly NodeView[]): number {
  return nodes.reduce((max, n) => Math.max(max, sortedUniqueIndices(n.gpus).length), 0);
}

/** GpuFit is used to describe how a claim would sit on one node. */
export interface GpuFit {
  /** True when the node has enough eligible free GPUs for the claim. */
  fits: boolean;
  /** Eligible GPUs the claim may take (unreserved or its own), ascending. */
  freeIndices: number[];
  /** Of those, the ones this claim already holds. */
  ownIndices: number[];
  /** The GPUs chosen for the claim, ascending; empty when it does not fit. */
  gpuIndices: number[];
  /** Free GPUs of any model the node keeps after this placement (what best-fit minimises). */
  freeAfter: number;
}

/**
 * fitGpus is used to pick GPUs for a claim on one node: the claim's own reserved GPUs first (so a
 * re-run is idempotent), then the lowest free indices (deterministic).
 */
export function fitGpus(node: NodeView, req: PlacementRequest, index: ReservationIndex): GpuFit {
  const byGpu = index.get(node.id);
  const eligible = sortedUniqueIndices(node.gpus.filter((g) => isEligibleGpu(g, req)));
  const ownIndices = eligible.filter((i) => byGpu?.get(i) === req.claimId);
  const others = eligible.filter((i) => byGpu?.get(i) === undefined);
  const freeIndices = [...ownIndices, ...others].sort((a, b) => a - b);
  const fits = freeIndices.length >= req.gpuCount;
  const allFree = sortedUniqueIndices(node.gpus).filter((i) => {
    const holder = byGpu?.get(i);
    return holder === undefined || holder === req.claimId;
  });
  const gpuIndices = fits
    ? [...ownIndices, ...others].slice(0, req.gpuCount).sort((a, b) => a - b)
    : [];
  return {
    fits,
    freeIndices,
    ownIndices,
    gpuIndices,
    freeAfter: allFree.length - gpuIndices.length,
  };
}
