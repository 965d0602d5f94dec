// claimIdsToResync: which claims the periodic resync hands the controller. Running claims are
// watched by their node's poll, so only those that need the controller come back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { migrateToLatest, openDatabase, type Db } from '../db/database.js';
import { fakeUserRow } from '../testing/fake-claim-rows.js';
import { fakeNodeRow } from '../testing/fake-node-row.js';
import { freshDatabaseUrl, testDatabases } from '../testing/harness.js';
import type { ClaimRow, NodeRow } from '../db/schema.js';
import { claimIdsToResync, newClaimRow } from './claims.repository.js';

const AT = '2026-01-01T00:00:00.000Z';
let db: Db;

for (const kind of testDatabases()) {
  describe(`claimIdsToResync (${kind})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'utopia-resync-'));
    let drop = async (): Promise<void> => {};
    before(async () => {
      const fresh = await freshDatabaseUrl(kind, dir);
      drop = fresh.drop;
      db = await openDatabase(fresh.url);
      await migrateToLatest(db);
      await seed();
    });
    after(async () => {
      await db.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });
    it('takes claims the controller is moving, and Running ones only when they need it', check);
  });
}

async function seed(): Promise<void> {
  await db.kysely.insertInto('users').values(fakeUserRow('u1', AT)).execute();
  await addNode('online', 'Online');
  await addNode('offline', 'Offline');
}

async function addNode(id: string, status: NodeRow['status']): Promise<void> {
  const row = fakeNodeRow({ id, address: 'http://127.0.0.1:9', gpus: '[]', at: AT });
  await db.kysely
    .insertInto('nodes')
    .values({ ...row, status })
    .execute();
}

async function addClaim(id: string, over: Partial<ClaimRow>): Promise<void> {
  const spec = { image: 'busybox:latest', resources: { gpuCount: 1 } };
  await db.kysely
    .insertInto('gpu_claims')
    .values({ ...newClaimRow({ id, name: id, ownerId: 'u1', spec, at: AT }), ...over })
    .execute();
}

async function check(): Promise<void> {
  const running = { phase: 'Running', node_id: 'online', container_id: 'c' } as const;
  await addClaim('pending', {});
  await addClaim('scheduled', { phase: 'Scheduled', node_id: 'online' });
  await addClaim('terminating', { ...running, phase: 'Terminating' });
  await addClaim('running-quiet', running);
  await addClaim('running-delete-asked', { ...running, deletion_requested_at: AT });
  await addClaim('running-drained', { ...running, reschedule_requested_at: AT });
  await addClaim('running-node-offline', { ...running, node_id: 'offline' });
  await addClaim('running-node-deleted', { ...running, node_id: 'gone' });
  await addClaim('failed', { phase: 'Failed' });
  assert.deepEqual((await claimIdsToResync(db.kysely)).sort(), [
    'pending',
    'running-delete-asked',
    'running-drained',
    'running-node-deleted',
    'running-node-offline',
    'scheduled',
    'terminating',
  ]);
}
