import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { UsageView } from '../scheduler/index.js';

type Conn = Kysely<Database> | Transaction<Database>;

/**
 * listUsage is used before scheduling: the CPU and memory each claim holding GPUs asked for, per
 * node. A claim holds its CPU and memory exactly as long as its GPU reservations (bind to release),
 * so a finished claim that is being deleted holds none. Claims without limits are left out.
 */
export async function listUsage(db: Conn, nodeId?: string): Promise<UsageView[]> {
  let q = db
    .selectFrom('gpu_claims as c')
    .select(['c.id', 'c.node_id', 'c.cpu_millis', 'c.memory_mib'])
    .where('c.node_id', 'is not', null)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom('gpu_reservations as r')
          .select('r.claim_id')
          .whereRef('r.claim_id', '=', 'c.id'),
      ),
    )
    .where((eb) => eb.or([eb('c.cpu_millis', '>', 0), eb('c.memory_mib', '>', 0)]));
  if (nodeId !== undefined) q = q.where('c.node_id', '=', nodeId);
  const rows = await q.execute();
  return rows.map((r) => ({
    nodeId: r.node_id ?? '',
    claimId: r.id,
    cpuMillis: r.cpu_millis,
    memoryMiB: r.memory_mib,
  }));
}
