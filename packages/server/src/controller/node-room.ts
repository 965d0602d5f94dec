// The last line of defence for CPU and memory, as the reservation key is for GPUs: the bind
// transaction locks the node row, then checks that the claim still fits beside the claims bound
// there. Two workers binding to one node are so serialised; the loser re-reads and re-schedules.
import type { Transaction } from 'kysely';
import { StaleClaimError } from '../claims/claims.repository.js';
import { listUsage } from '../claims/claim-usage.repository.js';
import type { Database } from '../db/schema.js';

/** RoomRequest is used to say what one claim asks of a node. */
export interface RoomRequest {
  claimId: string;
  nodeId: string;
  cpuMillis: number;
  memoryMiB: number;
}

/**
 * claimNodeRoom is used first in the bind transaction. It throws StaleClaimError when the node's
 * room went to another claim since the scheduler's snapshot. With row locks (MySQL) the node
 * row is read FOR UPDATE before anything else, so the sums that follow see every committed bind;
 * SQLite runs one write transaction at a time, which gives the same.
 */
export async function claimNodeRoom(
  trx: Transaction<Database>,
  req: RoomRequest,
  supportsRowLocks: boolean,
): Promise<void> {
  if (req.cpuMillis === 0 && req.memoryMiB === 0) return;
  let q = trx.selectFrom('nodes').select(['cpu_millis', 'memory_mib']).where('id', '=', req.nodeId);
  if (supportsRowLocks) q = q.forUpdate();
  const node = await q.executeTakeFirst();
  if (!node || node.cpu_millis === null || node.memory_mib === null) return;
  let cpu = req.cpuMillis;
  let memory = req.memoryMiB;
  for (const u of await listUsage(trx, req.nodeId)) {
    if (u.claimId === req.claimId) continue;
    cpu += u.cpuMillis;
    memory += u.memoryMiB;
  }
  // As the scheduler: a dimension the claim asks nothing of cannot stop it.
  const overCpu = req.cpuMillis > 0 && cpu > node.cpu_millis;
  const overMemory = req.memoryMiB > 0 && memory > node.memory_mib;
  if (overCpu || overMemory) throw new StaleClaimError(req.claimId);
}
