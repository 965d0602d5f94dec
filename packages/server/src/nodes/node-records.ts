import { createHmac } from 'node:crypto';
import {
  NodeGpuInjection,
  type GpuInventory,
  type GpuState,
  type Node,
  type NodeGpu,
} from '@utopia/shared';
import type { AgentTarget } from '../agent-client/agent-client.js';
import { parseJsonColumn } from '../db/json-column.js';
import type { NodeRow } from '../db/schema.js';

/** GpuRecord is used for one GPU as stored in nodes.gpus (JSON). */
export type GpuRecord = GpuState;

/** parseGpus is used to read nodes.gpus. */
export function parseGpus(row: Pick<NodeRow, 'gpus'>): GpuRecord[] {
  const parsed: unknown = JSON.parse(row.gpus);
  return Array.isArray(parsed) ? (parsed as GpuRecord[]) : [];
}

/** parseLabels is used to read nodes.labels. */
export function parseLabels(row: Pick<NodeRow, 'labels'>): Record<string, string> {
  const parsed: unknown = JSON.parse(row.labels);
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, string>) : {};
}

/** gpusFromInventory is used at registration: the inventory, with no live figures yet. */
export function gpusFromInventory(inventory: readonly GpuInventory[]): GpuRecord[] {
  return [...inventory]
    .sort((a, b) => a.index - b.index)
    .map((g) => ({ ...g, memoryUsedMiB: null, utilizationPercent: null, temperatureC: null }));
}

/** parseGpuInjection is used to read nodes.gpu_injection; anything unreadable shows as null. */
export function parseGpuInjection(row: Pick<NodeRow, 'gpu_injection'>): NodeGpuInjection | null {
  return parseJsonColumn(NodeGpuInjection, row.gpu_injection);
}

/** toNode is used to show a node row, with which claim holds each GPU. */
export function toNode(row: NodeRow, holders: ReadonlyMap<number, string>): Node {
  const gpus: NodeGpu[] = parseGpus(row).map((g) => ({
    ...g,
    claimId: holders.get(g.index) ?? null,
  }));
  return {
    id: row.id,
    hostname: row.hostname,
    status: row.status,
    schedulable: row.schedulable === 1,
    labels: parseLabels(row),
    gpus,
    gpuCount: gpus.length,
    gpusReserved: holders.size,
    capacity:
      row.cpu_millis === null || row.memory_mib === null
        ? null
        : { cpus: row.cpu_millis / 1000, memoryMiB: row.memory_mib },
    agentVersion: row.agent_version,
    address: row.address,
    tunnelPort: row.tunnel_port,
    gpuInjection: parseGpuInjection(row),
    dockerProblem: row.docker_problem,
    lastHeartbeatAt: row.last_heartbeat_at,
    statusChangedAt: row.status_changed_at,
    createdAt: row.created_at,
    version: row.version,
  };
}

/**
 * agentTokenFor is used to derive the bearer token the server presents to one node's agent:
 * an HMAC of the node id under a server secret, so each node has its own token and the server
 * need not store them.
 */
export function agentTokenFor(nodeId: string, agentTokenKey: string): string {
  // Every agent call and health poll needs it: keep the HMACs instead of recomputing them.
  let byNode = agentTokens.get(agentTokenKey);
  if (!byNode) {
    if (agentTokens.size >= 8) agentTokens.clear();
    byNode = new Map();
    agentTokens.set(agentTokenKey, byNode);
  }
  let token = byNode.get(nodeId);
  if (token === undefined) {
    token = `uta_${createHmac('sha256', agentTokenKey).update(nodeId).digest('base64url')}`;
    if (byNode.size >= AGENT_TOKENS_KEPT) byNode.clear();
    byNode.set(nodeId, token);
  }
  return token;
}

/** agentTokens is agentTokenFor's memo: key → node id → token (one key per server in practice). */
const agentTokens = new Map<string, Map<string, string>>();
const AGENT_TOKENS_KEPT = 100_000;

/** agentTargetOf is used to reach a node's agent: through its frp tunnel, or directly (LAN). */
export function agentTargetOf(
  row: Pick<NodeRow, 'id' | 'address' | 'tunnel_port'>,
  agentTokenKey: string,
): AgentTarget | undefined {
  const token = agentTokenFor(row.id, agentTokenKey);
  if (row.tunnel_port !== null)
    return { nodeId: row.id, baseUrl: `http://127.0.0.1:${row.tunnel_port}`, token };
  if (row.address !== null && row.address !== '')
    return { nodeId: row.id, baseUrl: row.address.replace(/\/$/, ''), token };
  return undefined;
}
