import type { Kysely } from 'kysely';
import { listReservations } from '../claims/claims.repository.js';
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
  };
}

/** readClusterSnapshot is used before scheduling: every node and every reservation, as they are now. */
export async function readClusterSnapshot(db: Kysely<Database>): Promise<ClusterView> {
  const [nodes, reservations] = await Promise.all([listNodes(db), listReservations(db)]);
  return {
    nodes: nodes.map(toNodeView),
    reservations: reservations.map((r) => ({
      nodeId: r.node_id,
      gpuIndex: r.gpu_index,
      claimId: r.claim_id,
    })),
  };
}
