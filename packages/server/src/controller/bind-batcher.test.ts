import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { migrateToLatest, openDatabase, type Db } from '../db/database.js';
import { createBindBatcher, type BindWrite } from './bind-batcher.js';

const AT = '2026-01-01T00:00:00.000Z';
let db: Db;

beforeEach(async () => {
  db = await openDatabase('sqlite://:memory:');
  await migrateToLatest(db);
});
afterEach(() => db.close());

const reserve =
  (claimId: string, gpuIndex: number): BindWrite =>
  async (trx) => {
    await trx
      .insertInto('gpu_reservations')
      .values({ node_id: 'n1', gpu_index: gpuIndex, claim_id: claimId, created_at: AT })
      .execute();
  };

const held = async (): Promise<string[]> =>
  (
    await db.kysely
      .selectFrom('gpu_reservations')
      .select(['claim_id', 'gpu_index'])
      .orderBy('gpu_index')
      .execute()
  ).map((r) => `${r.claim_id}/${r.gpu_index}`);

describe('bind batcher', () => {
  it('writes the binds of one turn in one transaction', async () => {
    let commits = 0;
    db.onCommit(() => commits++);
    const bind = createBindBatcher(db.kysely);
    await Promise.all([bind(reserve('a', 0)), bind(reserve('b', 1)), bind(reserve('c', 2))]);
    assert.equal(commits, 1);
    assert.deepEqual(await held(), ['a/0', 'b/1', 'c/2']);
  });

  it('fails only the loser of a reservation conflict; the rest of its batch commits', async () => {
    const bind = createBindBatcher(db.kysely);
    const results = await Promise.allSettled([
      bind(reserve('a', 0)),
      bind(reserve('b', 0)), // the same GPU: the primary key refuses it
      bind(reserve('c', 1)),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(await held(), ['a/0', 'c/1']);
  });
});
