// The change feed against the real database: order, the ring and the database agree, holes in
// the rv sequence (MySQL) are waited for, compaction is noticed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { waitFor } from '../testing/cluster.js';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';
import { createChangeFeed, type ChangeFeed } from './change-feed.js';
import { compactChanges, recordChange } from './changes.repository.js';

function change(trx: Transaction<Database>, objectId: string): Promise<void> {
  return recordChange(trx, {
    kind: 'Node',
    objectId,
    ownerId: null,
    type: 'MODIFIED',
    version: 1,
    object: { id: objectId },
  });
}

async function rvOf(t: TestServer, objectId: string): Promise<number> {
  const row = await t.server.ctx.db.kysely
    .selectFrom('resource_changes')
    .select('rv')
    .where('object_id', '=', objectId)
    .executeTakeFirstOrThrow();
  return Number(row.rv);
}

async function idsAfter(feed: ChangeFeed, after: number): Promise<string[]> {
  const batch = await feed.read(after, 500);
  assert.notEqual(batch, 'compacted');
  return batch === 'compacted' ? [] : batch.records.map((r) => r.object_id);
}

for (const dbKind of testDatabases()) {
  describe(`change feed (${dbKind})`, () => {
    let t: TestServer;
    const feeds: ChangeFeed[] = [];
    const newFeed = async (settleMs: number): Promise<ChangeFeed> => {
      const feed = createChangeFeed(t.server.ctx.db, {
        pollMs: 20,
        settleMs,
        isWatched: () => true,
        log: () => {},
      });
      await feed.start();
      feeds.push(feed);
      return feed;
    };
    before(async () => {
      t = await startTestServer(dbKind);
    });
    after(async () => {
      for (const f of feeds) await f.stop();
      await t.close();
    });

    test('changes come in rv order, the same from memory as from the database', async () => {
      const feed = await newFeed(1000);
      const start = feed.head;
      const names = Array.from({ length: 120 }, (_, i) => `order-${i}`);
      for (const n of names) await inTransaction(t.server.ctx.db.kysely, (trx) => change(trx, n));
      const last = await rvOf(t, names[names.length - 1] ?? '');
      await waitFor('the feed at the last change', async () => feed.head >= last);
      assert.deepEqual(await idsAfter(feed, start), names);
      // A feed started now has none of these in memory: it reads them from the database.
      const late = await newFeed(1000);
      assert.deepEqual(await idsAfter(late, start), names);
    });

    test('a version that compaction removed is reported, not silently skipped', async () => {
      const feed = await newFeed(1000);
      await inTransaction(t.server.ctx.db.kysely, (trx) => change(trx, 'before-compaction'));
      const floor = await compactChanges(t.server.ctx.db.kysely, { before: '9999', keepRows: 1 });
      assert.ok(floor > 0);
      const fresh = await newFeed(1000);
      assert.equal(await fresh.read(0, 10), 'compacted');
      assert.notEqual(await feed.read(feed.head - 1, 10), 'compacted', 'recent rows are in memory');
    });

    if (dbKind === 'mysql') {
      test('a change that commits after a later one is waited for and delivered first', async () => {
        const db = t.server.ctx.db.kysely;
        const feed = await newFeed(10_000);
        const start = feed.head;
        // 1. A transaction takes its rv, then stays open.
        let inserted = false;
        let release = (): void => {};
        const gate = new Promise<void>((r) => (release = r));
        const slow = db.transaction().execute(async (trx) => {
          await change(trx, 'slow');
          inserted = true;
          await gate;
        });
        await waitFor('the slow row inserted', async () => inserted);
        // 2. A later change commits first.
        await inTransaction(db, (trx) => change(trx, 'fast'));
        const fast = await rvOf(t, 'fast');
        // 3. The feed holds at the hole: several polls later it has not passed it.
        await new Promise((r) => setTimeout(r, 300));
        assert.ok(feed.head < fast, `head ${feed.head} passed the open hole before ${fast}`);
        // 4. The slow one commits: both arrive, in rv order.
        release();
        await slow;
        await waitFor('the feed past both', async () => feed.head >= fast);
        assert.deepEqual(await idsAfter(feed, start), ['slow', 'fast']);
      });

      test('a hole left by a rolled-back write is passed once it settles', async () => {
        const db = t.server.ctx.db.kysely;
        const feed = await newFeed(300);
        const start = feed.head;
        await db
          .transaction()
          .execute(async (trx) => {
            await change(trx, 'rolled-back');
            throw new Error('roll back');
          })
          .catch(() => undefined);
        const began = Date.now();
        await inTransaction(db, (trx) => change(trx, 'after-rollback'));
        const rv = await rvOf(t, 'after-rollback');
        await waitFor('the feed past the hole', async () => feed.head >= rv, 5000);
        assert.ok(Date.now() - began >= 250, 'it waited for the hole to settle');
        assert.deepEqual(await idsAfter(feed, start), ['after-rollback']);
      });
    }
  });
}
