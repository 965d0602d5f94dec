import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { migrateToLatest, openDatabase, type Db } from '../db/database.js';
import { fakeGpuInventory, fakeNodeRow } from '../testing/fake-node-row.js';
import { createClusterModel } from './cluster-model.js';

let db: Db;
beforeEach(async () => {
  db = await openDatabase('sqlite://:memory:');
});
afterEach(() => db.close());

describe('cluster model', () => {
  it('reads the database again after a first read that failed', async () => {
    const model = createClusterModel(db.kysely, { nodeCheckMs: 60_000, log: () => undefined });
    // Not migrated yet: the first read fails (no nodes table).
    await assert.rejects(model.view(), /no such table/);
    await migrateToLatest(db);
    const gpus = fakeGpuInventory('n1', 2);
    const at = '2026-01-01T00:00:00.000Z';
    const row = fakeNodeRow({ id: 'n1', address: 'http://127.0.0.1:9', gpus, at });
    await db.kysely.insertInto('nodes').values(row).execute();
    const view = await model.view();
    assert.deepEqual(
      view.nodes.map((n) => [n.id, n.gpus.length]),
      [['n1', 2]],
    );
  });
});
