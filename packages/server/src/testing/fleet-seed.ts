// Seeding a fleet with claims that are already Running (rows, GPU reservations and the fake
// agents' containers, one GPU each, node by node), for the memory benchmark: 10,000 live claims
// without posting 10,000 claims first. Runs before the fleet's restart, so the server builds its
// model from these rows as on a takeover.
import { randomUUID } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import { newClaimRow } from '../claims/claims.repository.js';
import { nextMessage, ONE_GPU_CLAIM } from './fleet.js';
import type { TestServer } from './harness.js';

/** seedRunningClaims is used as a fleet's `prepare` step: `claims` one-GPU claims, Running. */
export async function seedRunningClaims(
  t: TestServer,
  child: ChildProcess,
  size: { nodes: number; gpusPerNode: number; claims: number },
): Promise<void> {
  if (size.claims > size.nodes * size.gpusPerNode) throw new Error('more claims than GPUs');
  const db = t.server.ctx.db.kysely;
  const owner = await db.selectFrom('users').select('id').executeTakeFirstOrThrow();
  const at = new Date().toISOString();
  const holdings = Array.from({ length: size.claims }, (_, i) => ({
    claimId: randomUUID(),
    nodeId: `node-${String(i % size.nodes).padStart(5, '0')}`,
    gpuIds: [Math.floor(i / size.nodes)],
  }));
  for (let i = 0; i < holdings.length; i += 200) {
    const batch = holdings.slice(i, i + 200);
    const claims = batch.map((h) => ({
      ...newClaimRow({
        id: h.claimId,
        name: `seed-${h.claimId.slice(0, 8)}`,
        ownerId: owner.id,
        spec: ONE_GPU_CLAIM.spec,
        at,
      }),
      phase: 'Running' as const,
      node_id: h.nodeId,
      gpu_ids: h.gpuIds.join(','),
      container_id: `c-${h.nodeId}-${h.claimId}`,
    }));
    await db.insertInto('gpu_claims').values(claims).execute();
    await db
      .insertInto('gpu_reservations')
      .values(
        batch.map((h) => ({
          node_id: h.nodeId,
          gpu_index: h.gpuIds[0] ?? 0,
          claim_id: h.claimId,
          created_at: at,
        })),
      )
      .execute();
  }
  child.send({ kind: 'seed', holdings });
  await nextMessage(child, 'seeded');
}
