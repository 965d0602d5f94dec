import type { Kysely } from 'kysely';
import { listReservations } from '../claims/claims.repository.js';
import { listUsage } from '../claims/claim-usage.repository.js';
import { volumeNodes } from '../volumes/volumes.repository.js';
import type { Database, NodeRow } from '../db/schema.js';
import { parseGpus, parseLabels } from '../nodes/node-records.js';
import { listNodes } from '../nodes/nodes.repository.js';
import type { NodeView } from '../scheduler/index.js';
import type { ClusterView } from './claim-state.js';

/** toNodeView is used to hand the scheduler a node as it needs it (no I/O there). */
export function toNodeView(row: NodeRow): NodeView {
  return {
    id: row.id,
    hostname: row.hostname,
    status: row.status,
    schedulable: row.schedulable === 1,
    labels: parseLabels(row),
    gpus: parseGpus(row).map((g) => ({
      index: g.index,
      uuid: g.uuid,
      model: g.model,
      memoryTotalMiB: g.memoryTotalMiB,
    })),
    ...(row.cpu_millis === null || row.memory_mib === null
      ? {}
      : { capacity: { cpuMillis: row.cpu_millis, memoryMiB: row.memory_mib } }),
  };
}

/**
 * readClusterSnapshot is used before scheduling: every node, reservation and bound claim's CPU
 * and memory as they are now, and where the claim owner's volumes of these names live.
 */
export async function readClusterSnapshot(
  db: Kysely<Database>,
  volumes: { ownerId: string; names: readonly string[] } = { ownerId: '', names: [] },
): Promise<ClusterView> {
  const [nodes, reservations, usage, holders] = await Promise.all([
    listNodes(db),
    listReservations(db),
    listUsage(db),
    volumeNodes(db, volumes.ownerId, volumes.names),
  ]);
  return {
    usage,
    volumeNodes: holders,
    nodes: nodes.map(toNodeView),
    reservations: reservations.map((r) => ({
      nodeId: r.node_id,
      gpuIndex: r.gpu_index,
      claimId: r.claim_id,
    })),
  };
}
