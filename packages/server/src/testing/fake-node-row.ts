import type { Insertable } from 'kysely';
import type { NodesTable } from '../db/schema.js';

/**
 * fakeNodeRow is used by benchmarks and fleet runs to insert an Online node whose agent answers
 * at `address` (a fake agent), without going through registration.
 */
export function fakeNodeRow(n: {
  id: string;
  address: string;
  gpus: string;
  at: string;
}): Insertable<NodesTable> {
  return {
    id: n.id,
    hostname: n.id,
    machine_id: n.id,
    status: 'Online',
    schedulable: 1,
    labels: '{}',
    gpus: n.gpus,
    agent_version: 'bench',
    address: n.address,
    tunnel_port: null,
    credential_hash: 'x',
    join_token_id: null,
    last_heartbeat_at: n.at,
    status_changed_at: n.at,
    created_at: n.at,
    updated_at: n.at,
    version: 1,
  };
}

/** fakeGpuInventory is used for a fake node's GPUs column: `count` idle H200s, as JSON. */
export function fakeGpuInventory(nodeId: string, count: number): string {
  return JSON.stringify(
    Array.from({ length: count }, (_, index) => ({
      index,
      uuid: `GPU-${nodeId}-${index}`,
      model: 'NVIDIA H200',
      memoryTotalMiB: 143771,
      memoryUsedMiB: 0,
      utilizationPercent: 0,
      temperatureC: 40,
    })),
  );
}
