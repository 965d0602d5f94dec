// The change log's claim objects are built from the row a write holds, not read back (see
// claim-changes.ts): against the real database, each must equal what a read after the commit
// shows, for inserts, guarded updates (with names, without, onto another node) and lost races.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { fakeGpuInventory, fakeNodeRow } from '../testing/fake-node-row.js';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';
import { applyTransition } from '../controller/claim-transitions.js';
import { unfencedWrites } from '../controller/lease-fence.js';
import { toClaim, type ClaimRowWithNames } from './claim-view.js';
import { selectClaims } from './claims.queries.js';
import { findClaim, insertClaim, newClaimRow, StaleClaimError } from './claims.repository.js';

const AT = '2026-01-01T00:00:00.000Z';
const LATER = '2026-01-01T00:00:05.000Z';

async function addNode(db: Kysely<Database>, id: string, hostname: string): Promise<void> {
  // Registering, so nothing is placed here; two GPUs, so that POST's gpuCount check passes.
  const row = fakeNodeRow({
    id,
    address: 'http://127.0.0.1:9',
    gpus: fakeGpuInventory(id, 2),
    at: AT,
  });
  await db
    .insertInto('nodes')
    .values({ ...row, hostname, status: 'Registering', address: null })
    .execute();
}

for (const dbKind of testDatabases()) {
  describe(`claim change-log rows without a read back (${dbKind})`, () => {
    let t: TestServer;
    let db: Kysely<Database>;
    let ownerId: string;
    before(async () => {
      // No resync during the test: the claims here are Failed, which the controller leaves be.
      t = await startTestServer(dbKind, { UTOPIA_RESYNC_INTERVAL_MS: '600000' });
      db = t.server.ctx.db.kysely;
      ownerId = (await t.createUser('changes')).id;
      await addNode(db, 'changes-node-a', 'host-a.example');
      await addNode(db, 'changes-node-b', 'host-b.example');
    });
    after(() => t.close());

    async function shown(id: string): Promise<ClaimRowWithNames> {
      const [row] = await selectClaims(db, { id }, 1);
      assert.ok(row, `claim ${id} is there`);
      return row;
    }

    async function lastChange(id: string): Promise<{ version: number; object: unknown }> {
      const row = await db
        .selectFrom('resource_changes')
        .select(['object_version', 'object'])
        .where('object_id', '=', id)
        .orderBy('rv', 'desc')
        .executeTakeFirstOrThrow();
      return { version: row.object_version, object: JSON.parse(row.object) };
    }

    async function changeCount(id: string): Promise<number> {
      const rows = await db
        .selectFrom('resource_changes')
        .select('rv')
        .where('object_id', '=', id)
        .execute();
      return rows.length;
    }

    async function assertLogged(id: string, written: ClaimRowWithNames): Promise<void> {
      const read = await shown(id);
      assert.deepEqual(written, read, 'the row answered is the row read after the commit');
      const change = await lastChange(id);
      assert.equal(change.version, read.version);
      assert.deepEqual(change.object, JSON.parse(JSON.stringify(toClaim(read))));
    }

    async function failedClaim(id: string): Promise<ClaimRowWithNames> {
      const row = {
        ...newClaimRow({
          id,
          name: id,
          ownerId,
          spec: { image: 'busybox:latest', resources: { gpuCount: 2, cpus: 1.5, memoryMiB: 512 } },
          at: AT,
          labels: { team: 'a' },
          annotations: { note: 'ünïcode ✓' },
        }),
        phase: 'Failed' as const,
      };
      const written = await db.transaction().execute((trx) => insertClaim(trx, row, 'changes'));
      await assertLogged(id, written);
      return written;
    }

    test('an insert logs the row it inserted, with the owner named', async () => {
      const written = await failedClaim('changes-insert');
      assert.equal(written.owner_name, 'changes');
      assert.equal(written.node_hostname, null);
    });

    test('a guarded update onto a node, with its hostname, logs the row as written', async () => {
      const before = await failedClaim('changes-bind');
      const written = await applyTransition(
        unfencedWrites(db),
        before,
        {
          node_id: 'changes-node-a',
          gpu_ids: '0,1',
          reason: 'Scheduled',
          // Undefined is skipped, as Kysely's set skips it: the column keeps its value.
          message: undefined,
          exit_code: 3,
          placement: JSON.stringify({ nodesEvaluated: 2 }),
        },
        { type: 'Normal', reason: 'Scheduled', message: 'bound' },
        LATER,
        { nodeHostname: 'host-a.example' },
      );
      assert.equal(written.node_hostname, 'host-a.example');
      assert.equal(written.message, before.message);
      assert.equal(written.version, before.version + 1);
      await assertLogged(before.id, written);
    });

    test('onto another node without its hostname: read back, still right', async () => {
      const before = await failedClaim('changes-move');
      const bound = await applyTransition(
        unfencedWrites(db),
        before,
        { node_id: 'changes-node-a' },
        undefined,
        LATER,
        { nodeHostname: 'host-a.example' },
      );
      const moved = await applyTransition(
        unfencedWrites(db),
        bound,
        { node_id: 'changes-node-b', reason: 'Moved' },
        undefined,
        LATER,
      );
      assert.equal(moved.node_hostname, 'host-b.example');
      await assertLogged(before.id, moved);
      const off = await applyTransition(
        unfencedWrites(db),
        moved,
        { node_id: null, phase: 'Succeeded' },
        undefined,
        LATER,
      );
      assert.equal(off.node_hostname, null);
      assert.equal(off.phase_changed_at, LATER);
      await assertLogged(before.id, off);
    });

    test('a row read without names is read back for the log', async () => {
      await failedClaim('changes-plain');
      const plain = await findClaim(db, 'changes-plain');
      assert.ok(plain);
      const written = await applyTransition(
        unfencedWrites(db),
        plain,
        { reason: 'Plain' },
        undefined,
        LATER,
      );
      assert.equal(written.owner_name, 'changes');
      await assertLogged(plain.id, written);
    });

    test('a lost race writes nothing and logs nothing', async () => {
      const before = await failedClaim('changes-race');
      const first = await applyTransition(
        unfencedWrites(db),
        before,
        { reason: 'First' },
        undefined,
        LATER,
      );
      const logged = await changeCount(before.id);
      await assert.rejects(
        applyTransition(unfencedWrites(db), before, { reason: 'Stale' }, undefined, LATER),
        StaleClaimError,
      );
      assert.equal(await changeCount(before.id), logged);
      await assertLogged(before.id, first);
    });

    test("POST answers the claim it created: the log's ADDED object and its first event", async () => {
      const { token } = await t.createUser('changes-post');
      const res = await t.api('POST', '/api/gpu-claims', {
        token,
        body: {
          name: 'posted',
          labels: { app: 'x' },
          spec: { image: 'busybox:latest', resources: { gpuCount: 1 } },
        },
      });
      assert.equal(res.status, 201);
      const body = res.json;
      const id = String(body.id);
      const added = await db
        .selectFrom('resource_changes')
        .select(['type', 'object'])
        .where('object_id', '=', id)
        .orderBy('rv')
        .executeTakeFirstOrThrow();
      assert.equal(added.type, 'ADDED');
      const { events, ...claim } = body;
      assert.deepEqual(claim, JSON.parse(added.object));
      const got = await t.api('GET', `/api/gpu-claims/${id}`, { token });
      assert.equal(got.status, 200);
      const gotEvents = got.json.events;
      assert.ok(Array.isArray(gotEvents) && Array.isArray(events));
      assert.deepEqual(events, gotEvents.slice(0, 1));
      for (const field of ['id', 'name', 'owner', 'createdAt', 'labels', 'annotations', 'spec'])
        assert.deepEqual(body[field], got.json[field], field);
    });
  });
}
