// Feasibility filters. Each one looks at a single node and the request, never at other nodes or at
// reservations, so each is a tiny pure function that can be tested with one table.
import { isEligibleGpu, matchesGpuModel } from './capacity.js';
import { FilterReason } from './reasons.js';
import type { NodeView, PlacementRequest } from './types.js';

/** FilterResult is used to return a filter's verdict, with the reason when it rejects. */
export type FilterResult = { ok: true } | { ok: false; reason: FilterReason };

/** Filter is used to reject nodes where a claim can never run, whatever the reservations. */
export interface Filter {
  readonly name: string;
  check(node: NodeView, req: PlacementRequest): FilterResult;
}

const PASS: FilterResult = { ok: true };
const reject = (reason: FilterReason): FilterResult => ({ ok: false, reason });

/** NodeStatusFilter is used to keep only nodes whose agent is Online. */
export const NodeStatusFilter: Filter = {
  name: 'node-status',
  check(node) {
    if (node.status === 'Online') return PASS;
    return reject(node.status === 'Registering' ? FilterReason.Registering : FilterReason.Offline);
  },
};

/** SchedulableFilter is used to skip cordoned nodes. */
export const SchedulableFilter: Filter = {
  name: 'schedulable',
  check: (node) => (node.schedulable ? PASS : reject(FilterReason.Cordoned)),
};

/** matchesNodeSelector is used to check that every selector label is on the node with that value. */
export function matchesNodeSelector(
  labels: Readonly<Record<string, string>>,
  selector: Readonly<Record<string, string>> | undefined,
): boolean {
  if (selector === undefined) return true;
  return Object.entries(selector).every(
    ([key, value]) => Object.hasOwn(labels, key) && labels[key] === value,
  );
}

/** NodeSelectorFilter is used to honour the claim's nodeSelector. */
export const NodeSelectorFilter: Filter = {
  name: 'node-selector',
  check: (node, req) =>
    matchesNodeSelector(node.labels, req.nodeSelector)
      ? PASS
      : reject(FilterReason.NodeSelectorMismatch),
};

/** GpuModelFilter is used to keep nodes that have at least one GPU of the requested model. */
export const GpuModelFilter: Filter = {
  name: 'gpu-model',
  check: (node, req) =>
    node.gpus.some((g) => matchesGpuModel(g, req.gpuModel))
      ? PASS
      : reject(FilterReason.MissingGpuModel),
};

/**
 * GpuMemoryFilter is used to keep nodes with at least one GPU that has enough memory. It counts
 * only GPUs of the requested model, so a big GPU of another model does not let a node through.
 */
export const GpuMemoryFilter: Filter = {
  name: 'gpu-memory',
  check(node, req) {
    if (req.minGpuMemoryMiB === undefined) return PASS;
    const fits = node.gpus.some((g) => isEligibleGpu(g, req));
    return fits ? PASS : reject(FilterReason.InsufficientGpuMemory);
  },
};
