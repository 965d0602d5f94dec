import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Transaction } from 'kysely';
import { migrateToLatest, openDatabase, type Db } from './database.js';
import { createGroupCommit, type GroupWrite } from './group-commit.js';
import type { Database } from './schema.js';
import type { TransactionOpener } from './transaction.js';
import { recordEvent } from '../events/events.repository.js';
import { createBindBatcher } from '../controller/bind-batcher.js';

const AT = '2026-01-01T00:00:00.000Z';
let db: Db;

beforeEach(async () => {
  db = await openDatabase('sqlite://:memory:');
  await migrateToLatest(db);
});
afterEach(() => db.close());

/** A write that records `name` as a setting, and the order in which writes ran. */
const put =
  (name: string, ran: string[] = []): GroupWrite<string> =>
  async (trx) => {
    ran.push(name);
    await trx.insertInto('settings').values({ name, value: AT }).execute();
    return `wrote ${name}`;
  };

const names = async (): Promise<string[]> =>
  (await db.kysely.selectFrom('settings').select('name').where('name', 'like', 'gc-%').execute())
    .map((r) => r.name)
    .sort();

describe('group commit', () => {
  it('writes the writes of one turn in one transaction and hands each its value', async () => {
    let commits = 0;
    db.onCommit(() => commits++);
    const commit = createGroupCommit(db.kysely);
    const values = await Promise.all([
      commit(put('gc-a')),
      commit(put('gc-b')),
      commit(put('gc-c')),
    ]);
    assert.equal(commits, 1);
    assert.deepEqual(values, ['wrote gc-a', 'wrote gc-b', 'wrote gc-c']);
    assert.deepEqual(await names(), ['gc-a', 'gc-b', 'gc-c']);
  });

  it('refuses only the failing write, with its own error; the rest of its batch commits', async () => {
    const commit = createGroupCommit(db.kysely);
    const boom = new Error('quota exceeded');
    const results = await Promise.allSettled([
      commit(put('gc-a')),
      commit(async (trx) => {
        await put('gc-half')(trx); // written, then rolled back with the rest of this write
        throw boom;
      }),
      commit(put('gc-a')), // the same primary key: refused by the database
      commit(put('gc-b')),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'rejected', 'fulfilled'],
    );
    assert.equal(results[1]?.status === 'rejected' && results[1].reason, boom);
    assert.deepEqual(await names(), ['gc-a', 'gc-b']);
  });

  it('fails every write of a batch whose commit is refused (a fence), and writes none', async () => {
    const fenced: TransactionOpener = {
      transaction: () => ({
        execute: <T>(fn: (trx: Transaction<Database>) => Promise<T>) =>
          db.kysely.transaction().execute(async (trx) => {
            await fn(trx);
            throw new Error('lease lost');
          }),
      }),
    };
    const commit = createGroupCommit(fenced);
    const results = await Promise.allSettled([commit(put('gc-a')), commit(put('gc-b'))]);
    assert.deepEqual(
      results.map((r) => r.status === 'rejected' && r.reason instanceof Error && r.reason.message),
      ['lease lost', 'lease lost'],
    );
    assert.deepEqual(await names(), []);
  });

  it('runs writes in the order they came, across batches of at most maxBatch', async () => {
    const ran: string[] = [];
    let commits = 0;
    db.onCommit(() => commits++);
    const commit = createGroupCommit(db.kysely, { maxBatch: 2 });
    const first = [commit(put('gc-1', ran)), commit(put('gc-2', ran)), commit(put('gc-3', ran))];
    // Queued while the first batch runs: after the writes already waiting.
    const late = commit(put('gc-4', ran));
    await Promise.all([...first, late]);
    assert.deepEqual(ran, ['gc-1', 'gc-2', 'gc-3', 'gc-4']);
    assert.equal(commits, 2);
  });

  it("writes the events of a batch as one insert at its end, in order, without a failed write's", async () => {
    const commit = createGroupCommit(db.kysely);
    const seenInside: number[] = [];
    const event = (id: string, fail = false) =>
      commit(async (trx) => {
        await recordEvent(trx, {
          kind: 'GpuClaim',
          objectId: id,
          type: 'Normal',
          reason: 'R',
          message: id,
          at: AT,
        });
        // Deferred to the batch's end: not in the table yet, even inside the transaction.
        seenInside.push((await trx.selectFrom('events').select('id').execute()).length);
        if (fail) throw new Error('refused');
      });
    const results = await Promise.allSettled([event('e1'), event('e2', true), event('e3')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(seenInside.slice(0, 3), [0, 0, 0]);
    const rows = await db.kysely.selectFrom('events').select(['object_id']).orderBy('id').execute();
    assert.deepEqual(
      rows.map((r) => r.object_id),
      ['e1', 'e3'],
    );
    // Outside a batch an event is written at once.
    await db.kysely.transaction().execute(async (trx) => {
      await recordEvent(trx, {
        kind: 'GpuClaim',
        objectId: 'e4',
        type: 'Normal',
        reason: 'R',
        message: 'm',
        at: AT,
      });
      assert.equal((await trx.selectFrom('events').select('id').execute()).length, 3);
    });
  });

  it('as the bind batcher: only the loser of a reservation conflict fails', async () => {
    const bind = createBindBatcher(db.kysely);
    const reserve = (claimId: string, gpuIndex: number) =>
      bind(async (trx) => {
        await trx
          .insertInto('gpu_reservations')
          .values({ node_id: 'n1', gpu_index: gpuIndex, claim_id: claimId, created_at: AT })
          .execute();
      });
    const results = await Promise.allSettled([reserve('a', 0), reserve('b', 0), reserve('c', 1)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    const held = await db.kysely
      .selectFrom('gpu_reservations')
      .select(['claim_id', 'gpu_index'])
      .orderBy('gpu_index')
      .execute();
    assert.deepEqual(
      held.map((r) => `${r.claim_id}/${r.gpu_index}`),
      ['a/0', 'c/1'],
    );
  });
});
