// The controller lease and its fencing token against the real database: who may take it, that
// every takeover bumps the generation, and that a term's writes are refused once it is over.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely, Selectable } from 'kysely';
import { findClaim, insertClaim, newClaimRow } from '../claims/claims.repository.js';
import type { Database, LeasesTable } from '../db/schema.js';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';
import { applyTransition } from './claim-transitions.js';
import {
  checkLeaseHeld,
  NotLeaderError,
  renewLease,
  tryAcquireLease,
  type LeaseHold,
} from './lease.js';
import { createLeaseFence } from './lease-fence.js';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const LEASE_MS = 3000;

for (const dbKind of testDatabases()) {
  describe(`controller lease and fencing (${dbKind})`, () => {
    let t: TestServer;
    let db: Kysely<Database>;
    let ownerId: string;
    before(async () => {
      t = await startTestServer(dbKind);
      db = t.server.ctx.db.kysely;
      ownerId = (await t.createUser('lease')).id;
    });
    after(() => t.close());

    // Each test uses its own lease name: the server's own controller holds 'controller'.
    const cases: {
      name: string;
      setup(name: string): Promise<void>;
      now: number;
      want: number | undefined;
    }[] = [
      { name: 'free (no row yet)', setup: async () => {}, now: T0, want: 1 },
      {
        name: 'expired, held by another',
        setup: (n) => acquire(n, 'b', T0 - 2 * LEASE_MS).then(() => undefined),
        now: T0,
        want: 2,
      },
      {
        name: 'ours, still valid (a term of ours cut short)',
        setup: (n) => acquire(n, 'a', T0 - 1000).then(() => undefined),
        now: T0,
        want: 2,
      },
      {
        name: 'held by another, still valid',
        setup: (n) => acquire(n, 'b', T0 - 1000).then(() => undefined),
        now: T0,
        want: undefined,
      },
    ];
    for (const [i, c] of cases.entries()) {
      test(`tryAcquireLease: ${c.name}`, async () => {
        const name = `case-${i}`;
        await c.setup(name);
        const hold = await acquire(name, 'a', c.now);
        assert.equal(hold?.generation, c.want);
        const row = await leaseRow(name);
        assert.equal(row.holder, c.want === undefined ? 'b' : 'a');
      });
    }

    async function acquire(
      name: string,
      holder: string,
      now: number,
    ): Promise<LeaseHold | undefined> {
      return tryAcquireLease(db, name, holder, LEASE_MS, now);
    }
    async function leaseRow(name: string): Promise<Selectable<LeasesTable>> {
      return db.selectFrom('leases').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
    }

    test('renewLease extends only the very term that holds it', async () => {
      const a1 = await acquire('renew', 'a', T0);
      assert.ok(a1);
      assert.equal(await renewLease(db, a1, LEASE_MS, T0 + 1000), true);
      assert.equal((await leaseRow('renew')).expires_at, new Date(T0 + 1000 + LEASE_MS).toJSON());
      // Renewing past the end fails: the term is over even with nobody else there yet.
      assert.equal(await renewLease(db, a1, LEASE_MS, T0 + 1000 + LEASE_MS + 1), false);
      // A new term of the same holder bumps the generation; the old term cannot renew any more.
      const a2 = await acquire('renew', 'a', T0 + 5000);
      assert.equal(a2?.generation, a1.generation + 1);
      assert.equal(await renewLease(db, a1, LEASE_MS, T0 + 5001), false);
      assert.equal(await txCheck(a1), false);
      assert.equal(a2 && (await txCheck(a2)), true);
    });

    // checkLeaseHeld needs a transaction; txCheck runs one and answers what it saw.
    async function txCheck(hold: LeaseHold): Promise<boolean> {
      return db
        .transaction()
        .execute((trx) => checkLeaseHeld(trx, hold, T0 + 5001, t.server.ctx.db.supportsRowLocks));
    }

    test('a fenced write commits while the term holds, and is refused after a takeover', async () => {
      const spec = { image: 'busybox:latest', resources: { gpuCount: 1 } };
      const at = new Date(T0).toJSON();
      await insertClaim(db, newClaimRow({ id: 'fenced', name: 'fenced', ownerId, spec, at }));
      const a = await acquire('fence', 'a', T0);
      assert.ok(a);
      let now = T0 + 100;
      const refusals: string[] = [];
      const fence = createLeaseFence({
        db,
        hold: a,
        supportsRowLocks: t.server.ctx.db.supportsRowLocks,
        clock: { now: () => now },
        heldUntil: () => Number.POSITIVE_INFINITY, // only the row decides here
        onRefused: (why) => refusals.push(why),
      });
      const claim = await findClaim(db, 'fenced');
      assert.ok(claim);
      await applyTransition(fence, claim, { reason: 'First' }, undefined, new Date(now).toJSON());
      const after1 = await findClaim(db, 'fenced');
      assert.equal(after1?.reason, 'First');
      assert.ok(after1);
      // The change log names the term of each write: the insert (as the API makes it) none.
      const stamps = await db
        .selectFrom('resource_changes')
        .select(['type', 'lease_generation'])
        .where('object_id', '=', 'fenced')
        .orderBy('rv')
        .execute();
      assert.deepEqual(stamps, [
        { type: 'ADDED', lease_generation: null },
        { type: 'MODIFIED', lease_generation: a.generation },
      ]);

      // A stalls past its lease; B takes over (generation + 1).
      now = T0 + LEASE_MS + 500;
      const b = await acquire('fence', 'b', now);
      assert.equal(b?.generation, a.generation + 1);
      await assert.rejects(
        applyTransition(fence, after1, { reason: 'Stale' }, undefined, new Date(now).toJSON()),
        NotLeaderError,
      );
      const after2 = await findClaim(db, 'fenced');
      assert.equal(after2?.reason, 'First');
      assert.equal(after2?.version, after1.version);
      assert.equal(refusals.length, 1);
      // The refused write left no change-log row either.
      const rows = await db
        .selectFrom('resource_changes')
        .select('rv')
        .where('object_id', '=', 'fenced')
        .execute();
      assert.equal(rows.length, 2);
      assert.equal((await leaseRow('fence')).holder, 'b');
    });

    // MySQL only: SQLite has one connection per process (a takeover would queue behind the open
    // transaction by construction), and replicas never share an SQLite file.
    const mysqlOnly = dbKind !== 'mysql' && 'SQLite serialises all statements on one connection';
    test(
      'a write in progress does not hold up a takeover, and is refused at its commit',
      {
        skip: mysqlOnly,
      },
      async () => {
        const a = await acquire('midway', 'a', T0);
        assert.ok(a);
        let now = T0 + 100;
        const fence = createLeaseFence({
          db,
          hold: a,
          supportsRowLocks: true,
          clock: { now: () => now },
          heldUntil: () => Number.POSITIVE_INFINITY,
          onRefused: () => undefined,
        });
        let resume: () => void = () => undefined;
        const paused = new Promise<void>((r) => (resume = r));
        let started: () => void = () => undefined;
        const inside = new Promise<void>((r) => (started = r));
        // A's write is half-way (a row written, not committed) when it stalls, like a SIGSTOP.
        const write = fence.transaction().execute(async (trx) => {
          await trx.insertInto('settings').values({ name: 'midway-write', value: 'a' }).execute();
          started();
          await paused;
        });
        await inside;
        now = T0 + LEASE_MS + 500;
        const b = await acquire('midway', 'b', now); // does not wait for A's transaction
        assert.equal(b?.generation, a.generation + 1);
        resume();
        await assert.rejects(write, NotLeaderError);
        const row = await db
          .selectFrom('settings')
          .select('value')
          .where('name', '=', 'midway-write')
          .executeTakeFirst();
        assert.equal(row, undefined, 'the refused write was rolled back');
      },
    );

    test('the local clock refuses before the database is asked', async () => {
      const a = await acquire('local', 'a', T0);
      assert.ok(a);
      const refusals: string[] = [];
      const fence = createLeaseFence({
        db,
        hold: a,
        supportsRowLocks: t.server.ctx.db.supportsRowLocks,
        clock: { now: () => T0 + 10 },
        heldUntil: () => performance.now() - 1,
        onRefused: (why) => refusals.push(why),
      });
      assert.throws(() => fence.assertHeld(), NotLeaderError);
      let ran = false;
      await assert.rejects(
        fence.transaction().execute(async () => {
          ran = true;
        }),
        NotLeaderError,
      );
      assert.equal(ran, false);
      assert.equal(refusals.length, 2);
    });
  });
}
