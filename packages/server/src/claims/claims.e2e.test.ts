// The claims flow end to end: a real server, real agents (simulated GPUs) and real Docker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  containerEnv,
  killContainer,
  runContainers,
  startCluster,
  TEST_IMAGE,
  waitFor,
  type TestCluster,
} from '../testing/cluster.js';
import {
  sleeperClaim,
  createClaimAs,
  getClaimAs,
  waitForClaim,
  waitForGone,
  waitForPhase,
} from '../testing/claims-client.js';
import { testDatabases } from '../testing/harness.js';

for (const dbKind of testDatabases()) {
  describe(`claims end to end (${dbKind})`, () => {
    let c: TestCluster;
    let user: string;

    before(async () => {
      // No periodic resync within the suite: whatever happens, happens because an event woke the
      // controller (the API write, a node change, a poll that saw a container stop).
      c = await startCluster(dbKind, [4, 4], { UTOPIA_RESYNC_INTERVAL_MS: '600000' });
      user = (await c.t.createUser('alice')).token;
      const admin = await c.t.adminToken();
      await waitFor('both nodes Online', async () => {
        const res = await c.t.api('GET', '/api/nodes', { token: admin });
        const items = res.json.items as { status: string }[];
        return items.length === 2 && items.every((n) => n.status === 'Online');
      });
    });
    after(() => c.close());

    test('create → Running with exactly the reserved GPUs in the container', async () => {
      const claim = await createClaimAs(c.t, user, sleeperClaim(2, { env: { MODE: 'train' } }));
      assert.equal(claim.status.phase, 'Pending');
      // The resync is ten minutes away: only the event of the API write can make this Running.
      const running = await waitForPhase(c.t, user, claim.id, 'Running', 10_000);
      assert.equal(running.status.gpuIds.length, 2);
      assert.ok(running.status.containerId);
      const env = await containerEnv(running.status.containerId);
      const ids = running.status.gpuIds.join(',');
      assert.ok(env.includes(`NVIDIA_VISIBLE_DEVICES=${ids}`), env.join(' '));
      assert.ok(env.includes(`UTOPIA_GPU_IDS=${ids}`));
      assert.ok(env.includes('MODE=train'));
      const reasons = running.events?.map((e) => e.reason);
      assert.deepEqual(reasons, ['Created', 'Scheduled', 'Started']);
    });

    test('the bare spec of the original design is accepted', async () => {
      const res = await c.t.api('POST', '/api/gpu-claims', {
        token: user,
        body: { image: TEST_IMAGE, resources: { gpuCount: 1 } },
      });
      assert.equal(res.status, 201);
      assert.equal((res.json.spec as { image: string }).image, TEST_IMAGE);
      await c.t.api('DELETE', `/api/gpu-claims/${String(res.json.id)}`, { token: user });
    });

    test('a killed container is restarted on the same GPUs', async () => {
      const claim = await createClaimAs(c.t, user, sleeperClaim(1));
      const first = await waitForPhase(c.t, user, claim.id, 'Running');
      await killContainer(first.status.containerId ?? '');
      const again = await waitForClaim(
        c.t,
        user,
        claim.id,
        'restarted',
        (x) => x.status.phase === 'Running' && x.status.restartCount === 1,
      );
      assert.notEqual(again.status.containerId, first.status.containerId);
      assert.deepEqual(again.status.gpuIds, first.status.gpuIds);
      assert.ok(
        again.events?.some((e) => e.reason === 'BackOff' && /exited with code 137/.test(e.message)),
      );
      const live = (await runContainers(c.runLabel)).filter(
        (x) => x.Labels['utopia.claim_id'] === claim.id,
      );
      assert.equal(live.length, 1, 'the old container was removed');
    });

    test('restartPolicy Never: exit 0 → Succeeded and the GPUs are freed', async () => {
      const claim = await createClaimAs(c.t, user, {
        spec: {
          image: TEST_IMAGE,
          resources: { gpuCount: 1 },
          command: ['true'],
          restartPolicy: 'Never',
        },
      });
      const done = await waitForPhase(c.t, user, claim.id, 'Succeeded');
      assert.equal(done.status.exitCode, 0);
      const nodes = await c.t.api('GET', '/api/nodes', { token: await c.t.adminToken() });
      const holders = (nodes.json.items as { gpus: { claimId: string | null }[] }[]).flatMap((n) =>
        n.gpus.map((g) => g.claimId),
      );
      assert.ok(!holders.includes(claim.id));
    });

    test("a missing image fails for good with the agent's reason", async () => {
      const claim = await createClaimAs(
        c.t,
        user,
        sleeperClaim(1, { image: 'utopia-test/does-not-exist:1' }),
      );
      const failed = await waitForPhase(c.t, user, claim.id, 'Failed');
      assert.equal(failed.status.reason, 'IMAGE_NOT_FOUND');
      assert.match(failed.status.message ?? '', /does-not-exist/);
    });

    test('delete while Running: container gone, GPUs free, claim gone', async () => {
      const claim = await createClaimAs(c.t, user, sleeperClaim(1));
      const running = await waitForPhase(c.t, user, claim.id, 'Running');
      const del = await c.t.api('DELETE', `/api/gpu-claims/${claim.id}`, { token: user });
      assert.equal(del.status, 202);
      await waitForGone(c.t, user, claim.id);
      const left = (await runContainers(c.runLabel)).filter(
        (x) => x.Id === running.status.containerId,
      );
      assert.equal(left.length, 0);
    });

    test('a claim that cannot fit stays Pending and says why', async () => {
      const claim = await createClaimAs(
        c.t,
        user,
        sleeperClaim(4, { nodeSelector: { zone: 'mars' } }),
      );
      const pending = await waitForClaim(
        c.t,
        user,
        claim.id,
        'unschedulable',
        (x) => x.status.reason === 'Unschedulable',
      );
      assert.equal(pending.status.phase, 'Pending');
      assert.equal(pending.status.message, '0/2 nodes fit: 2 do not match nodeSelector');
      await c.t.api('DELETE', `/api/gpu-claims/${claim.id}`, { token: user });
      await waitForGone(c.t, user, claim.id);
    });

    test('users see only their own claims; admins see all', async () => {
      const bob = (await c.t.createUser('bob')).token;
      const mine = await createClaimAs(c.t, bob, sleeperClaim(1));
      assert.equal(
        (await c.t.api('GET', `/api/gpu-claims/${mine.id}`, { token: user })).status,
        404,
      );
      assert.equal(
        (await c.t.api('DELETE', `/api/gpu-claims/${mine.id}`, { token: user })).status,
        404,
      );
      const listed = await c.t.api('GET', '/api/gpu-claims', { token: user });
      assert.ok(!(listed.json.items as { id: string }[]).some((x) => x.id === mine.id));
      assert.equal(
        (await c.t.api('GET', '/api/gpu-claims?owner=bob', { token: user })).status,
        403,
      );
      const adminList = await c.t.api('GET', '/api/gpu-claims?owner=bob', {
        token: await c.t.adminToken(),
      });
      assert.deepEqual(
        (adminList.json.items as { id: string }[]).map((x) => x.id),
        [mine.id],
      );
      await c.t.api('DELETE', `/api/gpu-claims/${mine.id}`, { token: bob });
      await waitForGone(c.t, bob, mine.id);
    });

    test('listing pages through claims newest first', async () => {
      const carol = (await c.t.createUser('carol')).token;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++)
        ids.push(
          (await createClaimAs(c.t, carol, sleeperClaim(1, { nodeSelector: { never: 'x' } }))).id,
        );
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `&cursor=${cursor}` : '';
        const page = await c.t.api('GET', `/api/gpu-claims?limit=2${q}`, { token: carol });
        seen.push(...(page.json.items as { id: string }[]).map((x) => x.id));
        cursor = page.json.nextCursor as string | null;
      } while (cursor);
      assert.deepEqual(new Set(seen), new Set(ids));
      assert.equal(seen.length, 5);
      for (const id of ids) await c.t.api('DELETE', `/api/gpu-claims/${id}`, { token: carol });
      for (const id of ids) await waitForGone(c.t, carol, id);
    });

    test('the GPU quota holds, also under concurrent creates', async () => {
      const dave = await c.t.createUser('dave', { gpuQuota: 3 });
      const attempts = await Promise.all(
        Array.from({ length: 6 }, () =>
          c.t.api('POST', '/api/gpu-claims', {
            token: dave.token,
            body: sleeperClaim(1, { nodeSelector: { never: 'x' } }),
          }),
        ),
      );
      const created = attempts.filter((r) => r.status === 201);
      assert.equal(created.length, 3);
      for (const r of attempts.filter((x) => x.status !== 201)) {
        assert.equal(r.status, 403);
        assert.equal(r.json.code, 'QUOTA_EXCEEDED');
      }
      for (const r of created)
        await c.t.api('DELETE', `/api/gpu-claims/${String(r.json.id)}`, { token: dave.token });
    });

    test('metrics count claims by phase and GPUs per node', async () => {
      const res = await fetch(`${c.t.url}/metrics`, {
        headers: { authorization: `Bearer ${await c.t.adminToken()}` },
      });
      const text = await res.text();
      assert.equal(res.status, 200);
      assert.match(text, /utopia_claims\{phase="Running"\} \d+/);
      assert.match(text, /utopia_node_gpus\{node="[^"]+",hostname="node-0"\} 4/);
      assert.match(text, /utopia_reconcile_duration_seconds_count \d+/);
    });

    test('GET /api/gpu-claims/:id of a stranger is 404, of nonsense 400', async () => {
      assert.equal((await c.t.api('GET', '/api/gpu-claims/nope', { token: user })).status, 404);
      assert.equal((await c.t.api('GET', '/api/gpu-claims/bad%20id', { token: user })).status, 400);
      assert.equal(await getClaimAs(c.t, user, 'nope'), undefined);
    });
  });
}
