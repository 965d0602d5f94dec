import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { UsageView } from '../scheduler/index.js';

type Conn = Kysely<Database> | Transaction<Database>;

/** BOUND_PHASES is used for the phases in which a claim holds its node's CPU and memory. */
export const BOUND_PHASES = ['Scheduled', 'Running', 'Terminating'] as const;

/**
 * listUsage is used before scheduling: the CPU and memory each bound claim asked for, per node
 * (claims without limits reserve nothing and are left out). Optionally for one node only.
 */
export async function listUsage(db: Conn, nodeId?: string): Promise<UsageView[]> {
  let q = db
    .selectFrom('gpu_claims')
    .select(['id', 'node_id', 'cpu_millis', 'memory_mib'])
    .where('node_id', 'is not', null)
    .where('phase', 'in', BOUND_PHASES)
    .where((eb) => eb.or([eb('cpu_millis', '>', 0), eb('memory_mib', '>', 0)]));
  if (nodeId !== undefined) q = q.where('node_id', '=', nodeId);
  const rows = await q.execute();
  return rows.map((r) => ({
    nodeId: r.node_id ?? '',
    claimId: r.id,
    cpuMillis: r.cpu_millis,
    memoryMiB: r.memory_mib,
  }));
}
