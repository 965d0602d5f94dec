// Live GPU figures (utilisation, memory used, temperature) and the last time each node answered,
// kept in the memory of the replica that polls the nodes (the leader) and laid over the node rows
// when the API shows them. They change on every poll; writing them to the node row would cost one
// write per node per poll and tell nothing the next poll does not. The row is written only when a
// node's status, inventory or tunnel changes (controller/node-health-checker.ts).
import type { AgentMetricsResponse, Node } from '@utopia/shared';

/** LiveGpuFigures is used for one GPU's latest reading. */
export interface LiveGpuFigures {
  memoryUsedMiB: number;
  utilizationPercent: number;
  temperatureC: number;
}

interface Reading {
  seenAt: string;
  gpus: ReadonlyMap<number, LiveGpuFigures>;
}

/** LiveNodeFigures is used by the health checker (writes) and the node routes (reads). */
export class LiveNodeFigures {
  readonly #byNode = new Map<string, Reading>();

  /** record is used after each successful poll of a node. */
  record(nodeId: string, seenAt: string, gpus: AgentMetricsResponse['gpus']): void {
    const figures = new Map<number, LiveGpuFigures>();
    for (const g of gpus)
      figures.set(g.id, {
        memoryUsedMiB: Math.round(g.memory_used_mb),
        utilizationPercent: Math.round(g.usage_percent),
        temperatureC: Math.round(g.temperature_c),
      });
    this.#byNode.set(nodeId, { seenAt, gpus: figures });
  }

  /** forget is used when a node goes Offline or is deleted: its last reading is no longer live. */
  forget(nodeId: string): void {
    this.#byNode.delete(nodeId);
  }

  /** retain is used on each poll: readings of nodes that no longer exist are dropped. */
  retain(nodeIds: ReadonlySet<string>): void {
    for (const id of this.#byNode.keys()) if (!nodeIds.has(id)) this.#byNode.delete(id);
  }

  /** figuresOf is used to write the current figures along with a row that changes anyway. */
  figuresOf(nodeId: string): ReadonlyMap<number, LiveGpuFigures> | undefined {
    return this.#byNode.get(nodeId)?.gpus;
  }

  /** overlay is used by the API: the node as stored, with this replica's live figures on top. */
  overlay(node: Node): Node {
    const reading = this.#byNode.get(node.id);
    if (!reading) return node;
    return {
      ...node,
      lastHeartbeatAt: reading.seenAt,
      gpus: node.gpus.map((g) => {
        const live = reading.gpus.get(g.index);
        return live ? { ...g, ...live } : g;
      }),
    };
  }

  /** size is used by metrics and tests. */
  get size(): number {
    return this.#byNode.size;
  }
}
