import type { AgentContainerInfo, AgentMetricsResponse } from '@utopia/shared';
import type { Kysely } from 'kysely';
import { AgentCallError, type AgentClient } from '../agent-client/agent-client.js';
import type { Database, NodeRow } from '../db/schema.js';
import { isoAt, type Clock } from '../db/time.js';
import { recordEvent } from '../events/events.repository.js';
import {
  claimIdsOnNode,
  claimPlacementsByNode,
  type ClaimPlacement,
} from '../claims/claims.repository.js';
import { agentTargetOf, parseGpus, type GpuRecord } from '../nodes/node-records.js';
import { listNodes, updateNodeGuarded } from '../nodes/nodes.repository.js';
import type { LiveNodeFigures } from '../nodes/live-node-figures.js';
import { mapBounded } from './bounded-map.js';
import { sweepNodeContainers } from './orphan-container-sweep.js';

/** NodeHealthDeps is used to give the health loop its I/O and its limits. */
export interface NodeHealthDeps {
  db: Kysely<Database>;
  clock: Clock;
  agents: AgentClient;
  agentTokenKey: string;
  graceMs: number;
  /** At most this many agents are polled at once (UTOPIA_NODE_POLL_CONCURRENCY). */
  concurrency: number;
  /**
   * A poll's agent calls start evenly over this span (the controller: half the poll interval),
   * so 10,000 nodes make a steady trickle of work, not a burst per round; 0: all at once.
   */
  spreadMs?: number;
  /** Where each poll's GPU figures and time go; node rows are written only on change. */
  liveFigures: LiveNodeFigures;
  /** Reads each node's frp tunnel port (node id → port); undefined when there is no tunnel or frps cannot be read. */
  discoverTunnels?: () => Promise<Map<string, number> | undefined>;
  onNodesChanged(): void;
  onClaimChanged(claimId: string): void;
  log: (msg: string, extra?: object) => void;
}

interface ProbeResult {
  ok: boolean;
  metrics?: AgentMetricsResponse;
  /** The node's containers and when the list was asked for (the stored time format). */
  listing?: { containers: AgentContainerInfo[]; listedAt: string };
  /** The agent's words when it cannot reach its Docker Engine. */
  dockerProblem?: string;
  error?: string;
}

/**
 * createNodeHealthChecker is used by the leader to poll every node's agent, a bounded number at
 * once: a node that answers is Online (at once); one that keeps failing past the grace period is
 * Offline. Live figures go to memory (LiveNodeFigures); a node row is written only when its
 * status, GPU inventory or tunnel port changes, so idle polling writes nothing. It never marks
 * nodes Offline when all of them fail together: then the server itself has most likely lost its
 * network.
 */
export function createNodeHealthChecker(deps: NodeHealthDeps): { pollOnce(): Promise<void> } {
  const lastOk = new Map<string, number>();
  // Each node's stored GPU list, parsed once per row version rather than on every poll.
  const storedGpus = new Map<string, { version: number; gpus: GpuRecord[] }>();
  const storedGpusOf = (node: NodeRow): GpuRecord[] => {
    const known = storedGpus.get(node.id);
    if (known?.version === node.version) return known.gpus;
    const gpus = parseGpus(node);
    storedGpus.set(node.id, { version: node.version, gpus });
    return gpus;
  };
  const failures = new Map<string, number>();
  const startedAt = deps.clock.now();

  async function probe(node: NodeRow): Promise<ProbeResult> {
    const target = agentTargetOf(node, deps.agentTokenKey);
    if (!target) return { ok: false, error: 'no address or tunnel yet' };
    try {
      // An agent whose Docker Engine is down still answers: the node is up (claims there retry
      // with the agent's DOCKER_UNAVAILABLE reason); only the container sweep waits.
      let dockerProblem: string | undefined;
      const listedAt = isoAt(deps.clock.now());
      const [metrics, containers] = await Promise.all([
        deps.agents.metrics(target),
        deps.agents.listContainers(target).catch((e: unknown) => {
          if (!(e instanceof AgentCallError) || e.reason !== 'DOCKER_UNAVAILABLE') throw e;
          dockerProblem = e.message;
          return undefined;
        }),
      ]);
      if (metrics.node_id !== node.id)
        return { ok: false, error: `agent answered as node ${metrics.node_id}` };
      return {
        ok: true,
        metrics,
        ...(containers ? { listing: { containers, listedAt } } : {}),
        ...(dockerProblem ? { dockerProblem } : {}),
      };
    } catch (e) {
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    }
  }

  // Tunnel ports come from frps and can change whenever frps or frpc restarts: re-read them on
  // every poll, and write only the ones that changed.
  async function recordTunnelPorts(nodes: NodeRow[]): Promise<boolean> {
    const ports = deps.discoverTunnels ? await deps.discoverTunnels() : undefined;
    if (!ports) return false;
    let changed = false;
    for (const node of nodes) {
      const port = ports.get(node.id) ?? null;
      if (port === node.tunnel_port) continue;
      const at = isoAt(deps.clock.now());
      changed =
        (await updateNodeGuarded(deps.db, node.id, node.version, {
          tunnel_port: port,
          updated_at: at,
        })) || changed;
      deps.log(
        `node ${node.hostname}: tunnel port ${node.tunnel_port ?? 'none'} → ${port ?? 'none'}`,
      );
    }
    return changed;
  }

  async function pollOnce(): Promise<void> {
    let nodes = await listNodes(deps.db);
    if (await recordTunnelPorts(nodes)) nodes = await listNodes(deps.db);
    const ids = new Set(nodes.map((n) => n.id));
    deps.liveFigures.retain(ids);
    for (const id of storedGpus.keys()) if (!ids.has(id)) storedGpus.delete(id);
    const results = await mapBounded(nodes, deps.concurrency, probe, {
      spreadMs: deps.spreadMs ?? 0,
      now: () => performance.now(),
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    });
    const reachable = nodes.filter(
      (n) => agentTargetOf(n, deps.agentTokenKey) !== undefined,
    ).length;
    const suspectSelf = reachable >= 2 && results.every((r) => !r.ok);
    if (suspectSelf)
      deps.log(
        'every node failed its health check at once; suspecting our own network, holding node states',
      );
    // Read after the polls, so a claim bound while they ran is seen with its node (see planSweep);
    // only the nodes that answered sweep their containers, so none answering needs no read.
    const placements = results.some((r) => r.ok)
      ? await claimPlacementsByNode(deps.db)
      : new Map<string, ClaimPlacement[]>();
    for (const [i, node] of nodes.entries()) {
      const r = results[i];
      if (!r) continue;
      if (r.ok) await onSuccess(node, r, placements.get(node.id) ?? []);
      else if (!suspectSelf) await onFailure(node, r.error ?? 'unknown error');
    }
  }

  async function onSuccess(
    node: NodeRow,
    r: ProbeResult,
    boundHere: readonly ClaimPlacement[],
  ): Promise<void> {
    const now = deps.clock.now();
    const at = isoAt(now);
    lastOk.set(node.id, now);
    failures.set(node.id, 0);
    const live = r.metrics?.gpus ?? [];
    deps.liveFigures.record(node.id, at, live);
    const stored = storedGpusOf(node);
    const gpus = mergeLiveFigures(stored, live);
    const inventoryChanged = !sameInventory(gpus, stored);
    const capacity = capacityOf(r.metrics);
    const capacityChanged =
      capacity !== undefined &&
      (capacity.cpu_millis !== node.cpu_millis || capacity.memory_mib !== node.memory_mib);
    const injection = injectionOf(r.metrics, node);
    const becameOnline = node.status !== 'Online';
    const dockerProblem = r.dockerProblem ?? null;
    const dockerChanged = dockerProblem !== node.docker_problem;
    if (
      becameOnline ||
      inventoryChanged ||
      capacityChanged ||
      dockerChanged ||
      injection !== node.gpu_injection
    ) {
      // The row changes anyway: it takes the figures of this moment along.
      const ok = await updateNodeGuarded(deps.db, node.id, node.version, {
        status: 'Online',
        gpus: JSON.stringify(gpus),
        gpu_injection: injection,
        docker_problem: dockerProblem,
        last_heartbeat_at: at,
        updated_at: at,
        ...(becameOnline ? { status_changed_at: at } : {}),
        ...(capacityChanged ? capacity : {}),
      });
      // More (or less) room on a node can place a Pending claim.
      if (ok && capacityChanged && !becameOnline) deps.onNodesChanged();
      if (ok && dockerChanged) await recordDockerChange(node, dockerProblem, at);
      if (ok && becameOnline) {
        await recordEvent(deps.db, {
          kind: 'Node',
          objectId: node.id,
          type: 'Normal',
          reason: 'Online',
          message: `node ${node.hostname} is Online`,
          at,
        });
        deps.onNodesChanged();
      }
    }
    if (r.listing)
      await sweepNodeContainers(deps, node, r.listing.containers, r.listing.listedAt, boundHere);
  }

  async function recordDockerChange(
    node: NodeRow,
    problem: string | null,
    at: string,
  ): Promise<void> {
    await recordEvent(deps.db, {
      kind: 'Node',
      objectId: node.id,
      type: problem === null ? 'Normal' : 'Warning',
      reason: problem === null ? 'DockerAvailable' : 'DockerUnavailable',
      message:
        problem === null
          ? `node ${node.hostname}: its Docker Engine answers again`
          : `node ${node.hostname}: its agent cannot reach Docker (${problem})`,
      at,
    });
  }

  async function onFailure(node: NodeRow, error: string): Promise<void> {
    const now = deps.clock.now();
    const count = (failures.get(node.id) ?? 0) + 1;
    failures.set(node.id, count);
    const since = lastOk.get(node.id) ?? startedAt;
    if (node.status !== 'Online' || count < 2 || now - since < deps.graceMs) return;
    const at = isoAt(now);
    const ok = await updateNodeGuarded(deps.db, node.id, node.version, {
      status: 'Offline',
      status_changed_at: at,
      updated_at: at,
    });
    if (!ok) return;
    deps.liveFigures.forget(node.id);
    const message = `node ${node.hostname} is Offline: ${count} failed checks over ${Math.round((now - since) / 1000)} s (${error})`;
    deps.log(message);
    await recordEvent(deps.db, {
      kind: 'Node',
      objectId: node.id,
      type: 'Warning',
      reason: 'Offline',
      message,
      at,
    });
    (await claimIdsOnNode(deps.db, node.id)).forEach((id) => deps.onClaimChanged(id));
    deps.onNodesChanged();
  }

  return { pollOnce };
}

/** capacityOf is used to read the capacity an agent reports, as the nodes table keeps it. */
export function capacityOf(
  metrics: AgentMetricsResponse | undefined,
): { cpu_millis: number; memory_mib: number } | undefined {
  const c = metrics?.capacity;
  if (c === undefined) return undefined;
  return { cpu_millis: Math.round(c.cpus * 1000), memory_mib: c.memory_mib };
}

/** injectionOf is used to keep the stored mode when an (older) agent does not report one. */
function injectionOf(metrics: AgentMetricsResponse | undefined, node: NodeRow): string | null {
  const reported = metrics?.gpu_injection;
  if (!reported) return node.gpu_injection;
  return JSON.stringify({ mode: reported.mode, reason: reported.reason });
}

// What a node has, not how busy it is: a change here is worth a write.
function sameInventory(a: readonly GpuRecord[], b: readonly GpuRecord[]): boolean {
  return (
    a.length === b.length &&
    a.every((g, i) => {
      const o = b[i];
      return (
        o !== undefined &&
        g.index === o.index &&
        g.uuid === o.uuid &&
        g.model === o.model &&
        g.memoryTotalMiB === o.memoryTotalMiB
      );
    })
  );
}

/** mergeLiveFigures is used to fold an agent's per-GPU figures into the stored inventory. */
export function mergeLiveFigures(
  stored: readonly GpuRecord[],
  live: AgentMetricsResponse['gpus'],
): GpuRecord[] {
  const byIndex = new Map(live.map((g) => [g.id, g]));
  const known = new Set(stored.map((g) => g.index));
  const merged = stored.map((g) => {
    const l = byIndex.get(g.index);
    if (!l) return g;
    return {
      ...g,
      memoryUsedMiB: Math.round(l.memory_used_mb),
      utilizationPercent: Math.round(l.usage_percent),
      temperatureC: Math.round(l.temperature_c),
    };
  });
  // A GPU the agent reports but the inventory lacks (hot-added, or a re-registered agent) joins it.
  for (const l of live) {
    if (!known.has(l.id)) {
      merged.push({
        index: l.id,
        uuid: l.uuid,
        model: l.name,
        memoryTotalMiB: Math.round(l.memory_total_mb),
        memoryUsedMiB: Math.round(l.memory_used_mb),
        utilizationPercent: Math.round(l.usage_percent),
        temperatureC: Math.round(l.temperature_c),
      });
    }
  }
  return merged.sort((a, b) => a.index - b.index);
}
