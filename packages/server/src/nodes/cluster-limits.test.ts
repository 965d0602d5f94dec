import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { migrateToLatest, openDatabase, type Db } from '../db/database.js';
import { checkGpuCount, clusterLimits } from './cluster-limits.js';
import { updateNodeGuarded } from './nodes.repository.js';

const AT = '2026-01-01T00:00:00.000Z';
let db: Db;

beforeEach(async () => {
  db = await openDatabase('sqlite://:memory:');
  await migrateToLatest(db);
});
afterEach(() => db.close());

const gpus = (n: number): string =>
  JSON.stringify(
    Array.from({ length: n }, (_, index) => ({
      index,
      uuid: `g${index}`,
      model: 'T4',
      memoryTotalMiB: 1,
    })),
  );

async function addNode(id: string, gpuCount: number, createdAt = AT): Promise<void> {
  await db.kysely
    .insertInto('nodes')
    .values({
      id,
      hostname: id,
      machine_id: id,
      status: 'Online',
      schedulable: 1,
      labels: '{}',
      gpus: gpus(gpuCount),
      agent_version: 'test',
      address: null,
      tunnel_port: null,
      credential_hash: 'x',
      join_token_id: null,
      last_heartbeat_at: AT,
      status_changed_at: AT,
      created_at: createdAt,
      updated_at: AT,
      version: 1,
    })
    .execute();
}

describe('clusterLimits (cached between node writes)', () => {
  it('follows registrations, inventory updates and deletions', async () => {
    assert.deepEqual(await clusterLimits(db.kysely), { nodes: 0, largestGpuCount: 0 });
    await addNode('a', 4);
    assert.deepEqual(await clusterLimits(db.kysely), { nodes: 1, largestGpuCount: 4 });
    // 1. An inventory change bumps the version: seen at once.
    assert.ok(await updateNodeGuarded(db.kysely, 'a', 1, { gpus: gpus(8), updated_at: AT }));
    assert.deepEqual(await clusterLimits(db.kysely), { nodes: 1, largestGpuCount: 8 });
    // 2. A node deleted and another registered in between: the newer created_at tells.
    await db.kysely.deleteFrom('nodes').where('id', '=', 'a').execute();
    await addNode('b', 2, '2026-01-02T00:00:00.000Z');
    await db.kysely.updateTable('nodes').set({ version: 2 }).where('id', '=', 'b').execute();
    assert.deepEqual(await clusterLimits(db.kysely), { nodes: 1, largestGpuCount: 2 });
  });
});

describe('checkGpuCount (admit on a recent answer, refuse only on a fresh one)', () => {
  it('admits anything before the first node, then up to the largest node', async () => {
    // maxAgeMs -1: every answer is read fresh.
    assert.deepEqual(await checkGpuCount(db.kysely, 64, -1), { admitted: true });
    await addNode('a', 4);
    assert.deepEqual(await checkGpuCount(db.kysely, 4, -1), { admitted: true });
    assert.deepEqual(await checkGpuCount(db.kysely, 5, -1), {
      admitted: false,
      limits: { nodes: 1, largestGpuCount: 4 },
    });
  });

  it('a node registered a moment ago admits at once, though the cache says no', async () => {
    await addNode('a', 2);
    assert.equal((await checkGpuCount(db.kysely, 8)).admitted, false);
    await addNode('b', 8, '2026-01-02T00:00:00.000Z');
    assert.deepEqual(await checkGpuCount(db.kysely, 8, 60_000), { admitted: true });
  });

  it('within maxAgeMs a cached admission stands; past it the nodes are read again', async () => {
    await addNode('a', 8);
    assert.equal((await checkGpuCount(db.kysely, 8)).admitted, true);
    await db.kysely.deleteFrom('nodes').execute();
    await addNode('b', 2, '2026-01-02T00:00:00.000Z');
    // The node of 8 left a moment ago: the recent answer still admits (the claim would wait).
    assert.equal((await checkGpuCount(db.kysely, 8, 60_000)).admitted, true);
    // An answer older than maxAgeMs (here: any) is confirmed first, and refuses.
    assert.deepEqual(await checkGpuCount(db.kysely, 8, -1), {
      admitted: false,
      limits: { nodes: 1, largestGpuCount: 2 },
    });
  });
});
