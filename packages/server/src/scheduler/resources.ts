// CPU and memory capacity: a node's reported capacity less what the live claims bound to it
// asked for. Like GPUs, the claims' own requests (not a utilisation snapshot) are the measure.
import { ExhaustedDimension } from './reasons.js';
import type { NodeView, PlacementRequest, UsageView } from './types.js';

/** UsageIndex is used to look up the usage rows of one node. */
export type UsageIndex = ReadonlyMap<string, readonly UsageView[]>;

/** indexUsage is used to group usage by node once per evaluation. */
export function indexUsage(usage: readonly UsageView[]): UsageIndex {
  const index = new Map<string, UsageView[]>();
  for (const u of usage) {
    const list = index.get(u.nodeId);
    if (list === undefined) index.set(u.nodeId, [u]);
    else list.push(u);
  }
  return index;
}

/** ResourceShortage is used to say which dimension ran out on a node, with its figures. */
export interface ResourceShortage {
  dimension: typeof ExhaustedDimension.Cpu | typeof ExhaustedDimension.Memory;
  /** In the dimension's unit: thousandths of a CPU, or MiB. */
  free: number;
  total: number;
}

/**
 * resourceShortage is used after the GPU fit: undefined when the claim's CPU and memory fit on
 * the node. The claim's own usage counts as free, so a bound claim re-evaluated still fits.
 */
export function resourceShortage(
  node: NodeView,
  req: PlacementRequest,
  index: UsageIndex,
): ResourceShortage | undefined {
  const capacity = node.capacity;
  if (capacity === undefined) return undefined;
  let cpu = 0;
  let memory = 0;
  for (const u of index.get(node.id) ?? []) {
    if (u.claimId === req.claimId) continue;
    cpu += u.cpuMillis;
    memory += u.memoryMiB;
  }
  const wantCpu = req.cpuMillis ?? 0;
  const wantMemory = req.memoryMiB ?? 0;
  const freeCpu = Math.max(0, capacity.cpuMillis - cpu);
  const freeMemory = Math.max(0, capacity.memoryMiB - memory);
  if (wantCpu > freeCpu)
    return { dimension: ExhaustedDimension.Cpu, free: freeCpu, total: capacity.cpuMillis };
  if (wantMemory > freeMemory)
    return { dimension: ExhaustedDimension.Memory, free: freeMemory, total: capacity.memoryMiB };
  return undefined;
}
