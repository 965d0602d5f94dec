import type { Kysely } from 'kysely';
import type { Database, NodeRow } from '../db/schema.js';
import { parseGpus, parseLabels } from '../nodes/node-records.js';
import type { NodeView, ReservationView } from '../scheduler/index.js';

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
export async function readClusterSnapshot(
  db: Kysely<Database>,
): Promise<{ nodes: NodeView[]; reservations: ReservationView[] }> {
  const [nodes, reservations] = await Promise.all([
    db.selectFrom('nodes').selectAll().orderBy('id').execute(),
    db.selectFrom('gpu_reservations').select(['node_id', 'gpu_index', 'claim_id']).execute(),
  ]);
  return {
    nodes: nodes.map(toNodeView),
    reservations: reservations.map((r) => ({
      nodeId: r.node_id,
      gpuIndex: r.gpu_index,
      claimId: r.claim_id,
    })),
  };
}
