// The bind's CPU and memory check against the real database: a claim that no longer fits is
// refused inside the transaction, and two binds racing for the last room cannot both win.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import {
  insertClaim,
  newClaimRow,
  reserveGpus,
  StaleClaimError,
} from '../claims/claims.repository.js';
import type { Database } from '../db/schema.js';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';
import { claimNodeRoom } from './node-room.js';

const AT = '2026-01-01T00:00:00.000Z';

async function addNode(db: Kysely<Database>, id: string, memoryMiB: number): Promise<void> {
  // Registering: the running controller leaves claims on it alone.
  await db
    .insertInto('nodes')
    .values({
      id,
      hostname: id,
      machine_id: id,
      status: 'Registering',
      schedulable: 1,
      labels: '{}',
      gpus: '[]',
      agent_version: 'test',
      address: null,
      tunnel_port: null,
      credential_hash: 'x',
      join_token_id: null,
      last_heartbeat_at: null,
      status_changed_at: AT,
      created_at: AT,
      updated_at: AT,
      version: 1,
      cpu_millis: 8000,
      memory_mib: memoryMiB,
    })
    .execute();
}

async function addClaim(
  db: Kysely<Database>,
  id: string,
  ownerId: string,
  memoryMiB: number,
): Promise<void> {
  const spec = { image: 'busybox:latest', resources: { gpuCount: 1, memoryMiB } };
  await insertClaim(db, newClaimRow({ id, name: id, ownerId, spec, at: AT }));
}

/** bind is used like the controller's: room first, then the claim's node and its GPU. */
function bind(
  db: Kysely<Database>,
  rowLocks: boolean,
  claimId: string,
  gpu: number,
  holdMs: number,
): Promise<void> {
  return db.transaction().execute(async (trx) => {
    await claimNodeRoom(trx, { claimId, nodeId: 'n1', cpuMillis: 0, memoryMiB: 3000 }, rowLocks);
    await new Promise((r) => setTimeout(r, holdMs));
    await trx
      .updateTable('gpu_claims')
      .set({ node_id: 'n1', phase: 'Scheduled' })
      .where('id', '=', claimId)
      .execute();
    await reserveGpus(trx, claimId, 'n1', [gpu], AT);
  });
}

for (const dbKind of testDatabases()) {
  describe(`bind: CPU and memory room on the node (${dbKind})`, () => {
    let t: TestServer;
    let db: Kysely<Database>;
    let ownerId: string;
    before(async () => {
      t = await startTestServer(dbKind);
      db = t.server.ctx.db.kysely;
      ownerId = (await t.createUser('room')).id;
      await addNode(db, 'n1', 4096);
    });
    after(() => t.close());

    test('two binds racing for the last 4096 MiB: one wins, the other re-reads', async () => {
      await addClaim(db, 'race-a', ownerId, 3000);
      await addClaim(db, 'race-b', ownerId, 3000);
      const locks = t.server.ctx.db.supportsRowLocks;
      // 1. A takes the node's lock and holds it; B starts while A is inside.
      const a = bind(db, locks, 'race-a', 0, 300);
      await new Promise((r) => setTimeout(r, 50));
      const b = bind(db, locks, 'race-b', 1, 0);
      const results = await Promise.allSettled([a, b]);
      // 2. Exactly one bound; the other saw A's reservation and gave up.
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected'],
      );
      const lost = results[1];
      assert.ok(lost?.status === 'rejected' && lost.reason instanceof StaleClaimError);
      const held = await db.selectFrom('gpu_reservations').select('claim_id').execute();
      assert.deepEqual(
        held.map((r) => r.claim_id),
        ['race-a'],
      );
    });

    test("a claim's own usage and finished claims do not count", async () => {
      // race-a holds 3000 of 4096; releasing its GPUs (it finished) frees its memory too.
      await assert.rejects(bind(db, false, 'race-b', 1, 0), StaleClaimError);
      await db.deleteFrom('gpu_reservations').where('claim_id', '=', 'race-a').execute();
      await bind(db, false, 'race-b', 1, 0);
      // Binding again (a re-run) counts race-b's own 3000 as free.
      await db
        .transaction()
        .execute((trx) =>
          claimNodeRoom(
            trx,
            { claimId: 'race-b', nodeId: 'n1', cpuMillis: 0, memoryMiB: 3000 },
            false,
          ),
        );
    });
  });
}
