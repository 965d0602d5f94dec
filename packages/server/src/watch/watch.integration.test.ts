// Watch streams over real HTTP on the database under test: order, resume, isolation, access,
// heartbeats, resync and shutdown.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeWatchEvent, type GpuClaim, type SseMessage } from '@utopia/shared';
import { waitFor } from '../testing/cluster.js';
import { createClaimAs } from '../testing/claims-client.js';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';
import {
  isGpuClaim,
  isNode,
  mustWatch,
  openWatch,
  type WatchClient,
} from '../testing/watch-client.js';
import { compactChanges } from './changes.repository.js';

// No node ever matches: the claim stays Pending, and deleting it needs no agent.
const SPEC = { image: 'busybox:latest', resources: { gpuCount: 1 }, nodeSelector: { never: 'x' } };
const FAST = { UTOPIA_WATCH_HEARTBEAT_MS: '300', UTOPIA_RESYNC_INTERVAL_MS: '500' };

function claimOf(e: SseMessage): GpuClaim {
  const d = decodeWatchEvent(e, isGpuClaim);
  if (!d || !('object' in d)) throw new Error(`not a claim event: ${e.event} ${e.data}`);
  return d.object;
}

function isAbout(id: string): (e: SseMessage) => boolean {
  return (e) => ['ADDED', 'MODIFIED', 'DELETED'].includes(e.event) && claimOf(e).id === id;
}

function afterSnapshot(w: WatchClient): SseMessage[] {
  const end = w.events.findIndex((e) => e.event === 'SNAPSHOT_END');
  return end === -1 ? [] : w.events.slice(end + 1);
}

async function deleteClaim(t: TestServer, token: string, id: string): Promise<void> {
  const res = await t.api('DELETE', `/api/gpu-claims/${id}`, { token });
  assert.equal(res.status, 202, JSON.stringify(res.body));
}

for (const dbKind of testDatabases()) {
  describe(`watch streams (${dbKind})`, () => {
    let t: TestServer;
    let alice: string;
    let bob: string;
    let admin: string;
    const open: WatchClient[] = [];
    const watch = async (
      path: string,
      opts: { token?: string; lastEventId?: string },
    ): Promise<WatchClient> => {
      const w = await mustWatch(t, path, opts);
      open.push(w);
      return w;
    };

    before(async () => {
      t = await startTestServer(dbKind, FAST);
      alice = (await t.createUser('alice')).token;
      bob = (await t.createUser('bob')).token;
      admin = await t.adminToken();
    });
    after(async () => {
      open.forEach((w) => w.close());
      await t.close();
    });

    test('a claim is seen from ADDED through each change to DELETED, in order, with every version', async () => {
      const w = await watch('/api/gpu-claims?watch=1', { token: alice });
      assert.match(w.headers.get('content-type') ?? '', /^text\/event-stream/);
      await w.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
      const claim = await createClaimAs(t, alice, { spec: SPEC });
      await w.waitFor(
        'the claim unschedulable',
        (e) => isAbout(claim.id)(e) && claimOf(e).status.reason === 'Unschedulable',
      );
      await deleteClaim(t, alice, claim.id);
      await w.waitFor('the claim deleted', (e) => isAbout(claim.id)(e) && e.event === 'DELETED');

      const mine = afterSnapshot(w).filter(isAbout(claim.id));
      const types = mine.map((e) => e.event);
      assert.equal(types[0], 'ADDED');
      assert.equal(types[types.length - 1], 'DELETED');
      assert.ok(
        types.slice(1, -1).every((x) => x === 'MODIFIED'),
        types.join(' '),
      );
      const ids = mine.map((e) => Number(e.id));
      assert.ok(
        ids.every((id, i) => i === 0 || id > (ids[i - 1] ?? 0)),
        `ids ${ids.join(' ')}`,
      );
      // Every write bumps the version and logs one change: versions 1…n, none missing.
      const versions = mine.slice(0, -1).map((e) => claimOf(e).version);
      assert.deepEqual(
        versions,
        versions.map((_, i) => i + 1),
      );
      const phases = mine.map((e) => claimOf(e).status.phase);
      assert.equal(phases[0], 'Pending');
      assert.ok(phases.includes('Terminating'));
      assert.equal(phases.lastIndexOf('Pending') < phases.indexOf('Terminating'), true);
    });

    test("a user never sees another user's claims; an admin sees all", async () => {
      const bobWatch = await watch('/api/gpu-claims?watch=1', { token: bob });
      const adminWatch = await watch('/api/gpu-claims?watch=1', { token: admin });
      await bobWatch.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
      await adminWatch.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
      const aliceClaim = await createClaimAs(t, alice, { spec: SPEC });
      const bobClaim = await createClaimAs(t, bob, { spec: SPEC });
      await adminWatch.waitFor('alice claim', isAbout(aliceClaim.id));
      await adminWatch.waitFor('bob claim', isAbout(bobClaim.id));
      await bobWatch.waitFor('bob claim', isAbout(bobClaim.id));
      await deleteClaim(t, alice, aliceClaim.id);
      await adminWatch.waitFor(
        'alice claim gone',
        (e) => isAbout(aliceClaim.id)(e) && e.event === 'DELETED',
      );
      const seenByBob = bobWatch.events
        .filter((e) => ['ADDED', 'MODIFIED', 'DELETED'].includes(e.event))
        .map((e) => claimOf(e));
      assert.ok(seenByBob.length > 0);
      assert.ok(
        seenByBob.every((c) => c.owner === 'bob'),
        JSON.stringify(seenByBob.map((c) => c.owner)),
      );
      // A fresh list shows bob only his own claims too.
      const again = await watch('/api/gpu-claims?watch=1', { token: bob });
      await again.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
      const listed = again.events.filter((e) => e.event === 'ADDED').map((e) => claimOf(e));
      assert.deepEqual(
        listed.map((c) => c.id),
        [bobClaim.id],
      );
      await deleteClaim(t, bob, bobClaim.id);
    });

    test('a reconnect with Last-Event-ID gets exactly the missed changes, no list, no duplicate', async () => {
      const oracle = await watch('/api/gpu-claims?watch=1', { token: alice });
      await oracle.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
      const first = await watch('/api/gpu-claims?watch=1', { token: alice });
      await first.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
      const c1 = await createClaimAs(t, alice, { spec: SPEC });
      await first.waitFor('c1 added', isAbout(c1.id));
      const resumeAt = first.lastEventId();
      first.close();
      // 1. Changes while the client is away.
      const c2 = await createClaimAs(t, alice, { spec: SPEC });
      await deleteClaim(t, alice, c1.id);
      await oracle.waitFor('c1 deleted', (e) => isAbout(c1.id)(e) && e.event === 'DELETED');
      // 2. Back with Last-Event-ID, and another client with ?resourceVersion=.
      const resumed = await watch('/api/gpu-claims?watch=1', {
        token: alice,
        lastEventId: resumeAt,
      });
      const byQuery = await watch(`/api/gpu-claims?watch=1&resourceVersion=${resumeAt}`, {
        token: alice,
      });
      const c3 = await createClaimAs(t, alice, { spec: SPEC });
      for (const w of [oracle, resumed, byQuery]) await w.waitFor('c3', isAbout(c3.id));
      const key = (e: SseMessage): string => `${e.id} ${e.event} ${e.data}`;
      const expected = oracle.events
        .filter(
          (e) =>
            Number(e.id) > Number(resumeAt) && Number(e.id) <= Number(resumed.events.at(-1)?.id),
        )
        .map(key);
      for (const w of [resumed, byQuery]) {
        assert.ok(!w.events.some((e) => e.event === 'SNAPSHOT_END'), 'no new list');
        assert.deepEqual(w.events.map(key), expected.slice(0, w.events.length));
        assert.ok(w.events.some((e) => isAbout(c2.id)(e) && e.event === 'ADDED'));
        assert.ok(w.events.some((e) => isAbout(c1.id)(e) && e.event === 'DELETED'));
      }
      await deleteClaim(t, alice, c2.id);
      await deleteClaim(t, alice, c3.id);
    });

    test('a watch of one claim shows it, its changes, and ends once it is deleted', async () => {
      const claim = await createClaimAs(t, alice, { spec: SPEC });
      const w = await watch(`/api/gpu-claims/${claim.id}?watch=1`, { token: alice });
      await w.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
      assert.equal(claimOf(w.events[0] ?? { event: '', data: '' }).id, claim.id);
      await deleteClaim(t, alice, claim.id);
      await w.ended;
      assert.equal(w.events.at(-1)?.event, 'DELETED');
      assert.ok(w.events.every((e) => e.event === 'SNAPSHOT_END' || claimOf(e).id === claim.id));
    });

    test("another user's claim is a 404 for its watch; other refusals are clear 4xx", async () => {
      const claim = await createClaimAs(t, alice, { spec: SPEC });
      const cases: [string, string | undefined, Record<string, string>, number][] = [
        [`/api/gpu-claims/${claim.id}?watch=1`, bob, {}, 404],
        ['/api/gpu-claims?watch=1&owner=alice', bob, {}, 403],
        ['/api/gpu-claims?watch=1', undefined, {}, 401],
        ['/api/nodes?watch=1', undefined, {}, 401],
        ['/api/gpu-claims?watch=1&phase=Pending', alice, {}, 400],
        ['/api/gpu-claims?watch=maybe', alice, {}, 400],
        ['/api/gpu-claims?watch=1&resourceVersion=abc', alice, {}, 400],
        ['/api/gpu-claims?watch=1', alice, { lastEventId: 'x1' }, 400],
      ];
      for (const [path, token, extra, status] of cases) {
        const w = await openWatch(t, path, { ...(token ? { token } : {}), ...extra });
        assert.equal(w.status, status, `${path}: ${JSON.stringify('json' in w ? w.json : {})}`);
        if ('close' in w) w.close();
      }
      // Without watch=1 a resume point means "this version or newer": the current list answers.
      for (const path of [
        '/api/gpu-claims?resourceVersion=5',
        '/api/nodes?watch=0&resourceVersion=5',
      ]) {
        const res = await t.api('GET', path, { token: alice });
        assert.equal(res.status, 200, path);
        assert.ok(Array.isArray(res.json.items), path);
      }
      await deleteClaim(t, alice, claim.id);
    });

    test('an idle stream gets heartbeats; a stream others write past gets a bookmark', async () => {
      const w = await watch('/api/gpu-claims?watch=1', { token: bob });
      const end = await w.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
      await waitFor('a heartbeat', async () => w.text().includes(': ping\n'), 5000);
      const claim = await createClaimAs(t, alice, { spec: SPEC });
      const mark = await w.waitFor('a bookmark', (e) => e.event === 'BOOKMARK', 5000);
      assert.ok(Number(mark.id) > Number(end.id));
      assert.equal(JSON.parse(mark.data).resourceVersion, mark.id);
      await deleteClaim(t, alice, claim.id);
    });

    test('a version the log no longer holds, or never held, gets RESYNC and a fresh list', async () => {
      const kept = await createClaimAs(t, alice, { spec: SPEC });
      const oldest = await watch('/api/gpu-claims?watch=1', { token: alice });
      await oldest.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
      // Write something, then compact every row but the newest.
      const other = await createClaimAs(t, alice, { spec: SPEC });
      await oldest.waitFor('other added', isAbout(other.id));
      await compactChanges(t.server.ctx.db.kysely, { before: '9999', keepRows: 1 });
      for (const [rv, reason] of [
        ['1', 'Expired'],
        ['999999999999', 'Unknown'],
      ] as const) {
        const w = await watch('/api/gpu-claims?watch=1', { token: alice, lastEventId: rv });
        await w.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
        assert.equal(w.events[0]?.event, 'RESYNC');
        assert.equal(w.events[0]?.id, '', 'the client forgets its old Last-Event-ID');
        assert.equal(JSON.parse(w.events[0]?.data ?? '{}').reason, reason);
        const listed = w.events.filter((e) => e.event === 'ADDED').map((e) => claimOf(e).id);
        assert.ok(listed.includes(kept.id) && listed.includes(other.id));
      }
      await deleteClaim(t, alice, kept.id);
      await deleteClaim(t, alice, other.id);
    });

    test('nodes: registration, a label change and removal come in order', async () => {
      const w = await watch('/api/nodes?watch=1', { token: alice });
      await w.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
      const jt = await t.api('POST', '/api/join-tokens', { token: admin, body: {} });
      const reg = await t.api('POST', '/api/nodes/register', {
        body: {
          joinToken: jt.json.token,
          hostname: 'watched-node',
          machineId: '',
          agentVersion: '1',
          address: 'http://127.0.0.1:9',
          gpus: [{ index: 0, uuid: 'GPU-w', model: 'Test', memoryTotalMiB: 1024 }],
        },
      });
      const nodeId = String(reg.json.nodeId);
      await t.api('PATCH', `/api/nodes/${nodeId}`, {
        token: admin,
        body: { labels: { rack: 'r9' } },
      });
      await t.api('DELETE', `/api/nodes/${nodeId}`, { token: admin });
      await w.waitFor('the node deleted', (e) => e.event === 'DELETED');
      const mine = afterSnapshot(w)
        .map((e) => ({ e, d: decodeWatchEvent(e, isNode) }))
        .filter((x) => x.d && 'object' in x.d && x.d.object.id === nodeId);
      assert.equal(mine[0]?.e.event, 'ADDED');
      assert.equal(mine.at(-1)?.e.event, 'DELETED');
      const labelled = mine.find(
        (x) => x.d && 'object' in x.d && x.d.object.labels['rack'] === 'r9',
      );
      assert.equal(labelled?.e.event, 'MODIFIED');
    });

    test('a second replica on the same database streams the first one’s writes', async () => {
      const { startServer } = await import('../server.js');
      const replica = await startServer({ ...t.config, port: 0 }, { logger: false });
      try {
        const w = await mustWatch({ url: replica.url }, '/api/gpu-claims?watch=1', {
          token: alice,
        });
        await w.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
        const claim = await createClaimAs(t, alice, { spec: SPEC });
        await w.waitFor('the claim, written on the other replica', isAbout(claim.id));
        await deleteClaim(t, alice, claim.id);
        await w.waitFor('its deletion', (e) => isAbout(claim.id)(e) && e.event === 'DELETED');
        w.close();
      } finally {
        await replica.close();
      }
    });
  });

  describe(`a local write reaches its watchers without waiting for a poll (${dbKind})`, () => {
    test('with a one-minute poll period, a change arrives at once', async () => {
      const t = await startTestServer(dbKind, { UTOPIA_WATCH_POLL_MS: '60000' });
      try {
        const token = await t.adminToken();
        const w = await mustWatch(t, '/api/gpu-claims?watch=1', { token });
        await w.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
        const began = Date.now();
        const claim = await createClaimAs(t, token, { spec: SPEC });
        await w.waitFor('the claim', isAbout(claim.id), 10_000);
        assert.ok(Date.now() - began < 10_000);
        w.close();
      } finally {
        await t.close();
      }
    });
  });

  describe(`watch streams end when the server closes (${dbKind})`, () => {
    test('every open stream ends and close() does not hang', async () => {
      const t = await startTestServer(dbKind);
      try {
        const admin = await t.adminToken();
        const streams = [
          await mustWatch(t, '/api/gpu-claims?watch=1', { token: admin }),
          await mustWatch(t, '/api/nodes?watch=1', { token: admin }),
        ];
        for (const w of streams)
          await w.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
        await t.server.close();
        await Promise.all(streams.map((w) => w.ended));
      } finally {
        await t.close().catch(() => undefined);
      }
    });
  });
}
