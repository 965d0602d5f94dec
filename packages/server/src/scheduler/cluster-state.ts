// One consistent copy of the cluster as the leader's model holds it, with the indexes that make
// a placement a lookup: per node the reserved GPUs and the CPU/memory in use, and the free-GPU
// index. Pure data (no I/O): src/cluster/cluster-model.ts keeps it current.
import { FreeGpuIndex } from './free-gpu-index.js';
import type { IndexedCluster } from './schedule-indexed.js';
import { compareIds } from './stack.js';
import type { NodeView, UsageView } from './types.js';

/** Holding is used for what one bound claim holds: GPUs on a node, CPU and memory. */
export interface Holding {
  nodeId: string;
  gpuIndices: readonly number[];
  cpuMillis: number;
  memoryMiB: number;
}

interface ModelNode {
  version: number;
  view: NodeView;
}

/**
 * ClusterModelState is used for one consistent copy of the cluster model's data: nodes, holdings
 * and the indexes the scheduler reads. Pure; the cluster model feeds it from the database.
 */
export class ClusterModelState implements IndexedCluster {
  readonly nodeRecords = new Map<string, ModelNode>();
  readonly nodeById = new Map<string, NodeView>();
  readonly reservations = new Map<string, Map<number, string>>();
  readonly usage = new Map<string, UsageView[]>();
  readonly holdings = new Map<string, Holding>();
  readonly free = new FreeGpuIndex();
  #sorted: NodeView[] | undefined;

  get nodes(): readonly NodeView[] {
    this.#sorted ??= [...this.nodeById.values()].sort((a, b) => compareIds(a.id, b.id));
    return this.#sorted;
  }

  holdsGpus(claimId: string): boolean {
    return (this.holdings.get(claimId)?.gpuIndices.length ?? 0) > 0;
  }

  setNode(view: NodeView, version: number): void {
    this.nodeRecords.set(view.id, { version, view });
    this.nodeById.set(view.id, view);
    this.#sorted = undefined;
    this.refreshFree(view.id);
  }

  deleteNode(id: string): void {
    this.nodeRecords.delete(id);
    this.nodeById.delete(id);
    this.#sorted = undefined;
    this.free.remove(id);
  }

  hold(claimId: string, h: Holding | undefined): void {
    const before = this.holdings.get(claimId);
    if (before) {
      const byGpu = this.reservations.get(before.nodeId);
      for (const i of before.gpuIndices) if (byGpu?.get(i) === claimId) byGpu.delete(i);
      this.setUsage(before.nodeId, claimId, undefined);
      this.holdings.delete(claimId);
    }
    if (h) {
      let byGpu = this.reservations.get(h.nodeId);
      if (!byGpu) this.reservations.set(h.nodeId, (byGpu = new Map()));
      for (const i of h.gpuIndices) byGpu.set(i, claimId);
      this.setUsage(h.nodeId, claimId, h);
      this.holdings.set(claimId, h);
    }
    if (before) this.refreshFree(before.nodeId);
    if (h && h.nodeId !== before?.nodeId) this.refreshFree(h.nodeId);
  }

  private setUsage(nodeId: string, claimId: string, h: Holding | undefined): void {
    const list = (this.usage.get(nodeId) ?? []).filter((u) => u.claimId !== claimId);
    // As listUsage: claims that asked for no CPU and no memory hold none.
    if (h && (h.cpuMillis > 0 || h.memoryMiB > 0))
      list.push({ nodeId, claimId, cpuMillis: h.cpuMillis, memoryMiB: h.memoryMiB });
    if (list.length === 0) this.usage.delete(nodeId);
    else this.usage.set(nodeId, list);
  }

  private refreshFree(nodeId: string): void {
    const node = this.nodeById.get(nodeId);
    if (!node || node.status !== 'Online' || !node.schedulable) {
      this.free.remove(nodeId);
      return;
    }
    const byGpu = this.reservations.get(nodeId);
    const indices = new Set(node.gpus.map((g) => g.index));
    let free = 0;
    for (const i of indices) if (byGpu?.get(i) === undefined) free++;
    this.free.set(nodeId, { models: node.gpus.map((g) => g.model), free });
  }
}
