// Storage and limits with a real server, a real agent and real Docker, in direct mode and through
// the frp tunnel: named volumes outlive claims and belong to their owner, host paths mount only
// where the node allows, limits reach Docker, and a claim larger than any node waits, saying why.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { GpuClaim, Volume } from '@utopia/shared';
import {
  createClaimAs,
  waitForClaim,
  waitForGone,
  waitForPhase,
} from '../testing/claims-client.js';
import {
  containerHostConfig,
  dockerVolumeNames,
  removeDockerVolumes,
  startCluster,
  TEST_IMAGE,
  AGENT_MODES,
  waitFor,
  type TestCluster,
} from '../testing/cluster.js';
import { testDatabases } from '../testing/harness.js';

const MIB = 1024 * 1024;

/** shell is used for a claim that runs one shell line once: Succeeded means the line held. */
function shell(
  line: string,
  spec: Record<string, unknown> = {},
): { spec: Record<string, unknown> } {
  return {
    spec: {
      image: TEST_IMAGE,
      resources: { gpuCount: 1 },
      command: ['sh', '-c', line],
      restartPolicy: 'Never',
      ...spec,
    },
  };
}

function finished(c: GpuClaim): boolean {
  return c.status.phase === 'Succeeded' || c.status.phase === 'Failed';
}

for (const dbKind of testDatabases()) {
  for (const [mode, overrides] of AGENT_MODES) {
    describe(`storage and limits with a real agent, ${mode} mode (${dbKind})`, () => {
      let c: TestCluster;
      let alice: { id: string; token: string };
      let bob: { id: string; token: string };
      const dir = mkdtempSync(join(tmpdir(), 'storage-e2e-'));
      const datasets = join(dir, 'datasets');
      const secret = join(dir, 'secret');

      before(async () => {
        mkdirSync(datasets);
        mkdirSync(secret);
        writeFileSync(join(datasets, 'marker'), 'imagenet');
        c = await startCluster(dbKind, [], { UTOPIA_RESYNC_INTERVAL_MS: '600000', ...overrides });
        await c.addNode('node-0', 4, {
          settings: {
            allowedHostPaths: `${datasets}:ro`,
            capacityCpus: '4',
            capacityMemoryMiB: '4096',
          },
        });
        alice = await c.t.createUser('alice');
        bob = await c.t.createUser('bob');
        const admin = await c.t.adminToken();
        await waitFor('the node Online with its capacity', async () => {
          const res = await c.t.api('GET', '/api/nodes', { token: admin });
          const [node] = res.json.items as { status: string; capacity: unknown }[];
          return (
            node?.status === 'Online' &&
            JSON.stringify(node.capacity) === JSON.stringify({ cpus: 4, memoryMiB: 4096 })
          );
        });
      });
      after(async () => {
        await c.close();
        for (const u of [alice, bob]) if (u) await removeDockerVolumes(u.id);
        rmSync(dir, { recursive: true, force: true });
      });

      const volumes = async (token: string): Promise<Volume[]> => {
        const res = await c.t.api('GET', '/api/volumes', { token });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return res.json.items as Volume[];
      };

      test("a named volume's file survives deleting and recreating the claim", async () => {
        const data = { volumes: [{ name: 'data', mountPath: '/data' }] };
        const writer = await createClaimAs(
          c.t,
          alice.token,
          shell('echo hello > /data/f && sleep 3600', { ...data, restartPolicy: 'Always' }),
        );
        await waitForPhase(c.t, alice.token, writer.id, 'Running');
        await c.t.api('DELETE', `/api/gpu-claims/${writer.id}`, { token: alice.token });
        await waitForGone(c.t, alice.token, writer.id);
        const reader = await run(c, alice.token, shell('test "$(cat /data/f)" = hello', data));
        assert.equal(reader.status.phase, 'Succeeded', reader.status.message ?? '');
        assert.deepEqual(await dockerVolumeNames(alice.id), [`utopia-${alice.id}-data`]);
        await c.t.api('DELETE', `/api/gpu-claims/${reader.id}`, { token: alice.token });
        await waitForGone(c.t, alice.token, reader.id);
      });

      test("another user's volume of the same name is another volume", async () => {
        const data = { volumes: [{ name: 'data', mountPath: '/data' }] };
        const other = await run(c, bob.token, shell('test ! -e /data/f', data));
        assert.equal(other.status.phase, 'Succeeded', other.status.message ?? '');
        // Finished but not deleted: its stopped container still uses the volume.
        assert.deepEqual((await volumes(bob.token))[0]?.inUseBy, [other.id]);
        await c.t.api('DELETE', `/api/gpu-claims/${other.id}`, { token: bob.token });
        await waitForGone(c.t, bob.token, other.id);
        assert.deepEqual(await dockerVolumeNames(bob.id), [`utopia-${bob.id}-data`]);
        const mine = await volumes(bob.token);
        assert.deepEqual(
          mine.map((v) => [v.name, v.owner, v.nodeName]),
          [['data', 'bob', 'node-0']],
        );
        const all = await volumes(await c.t.adminToken());
        assert.deepEqual(all.map((v) => v.owner).sort(), ['alice', 'bob']);
      });

      test('an allowed host path mounts (read-only); a disallowed one fails with the reason', async () => {
        const ok = await run(
          c,
          alice.token,
          shell('test "$(cat /in/marker)" = imagenet && ! touch /in/x', {
            hostPaths: [{ path: datasets, mountPath: '/in', readOnly: true }],
          }),
        );
        assert.equal(ok.status.phase, 'Succeeded', ok.status.message ?? '');
        const refused = await run(
          c,
          alice.token,
          shell('true', { hostPaths: [{ path: secret, mountPath: '/in', readOnly: true }] }),
        );
        assert.equal(refused.status.phase, 'Failed');
        assert.equal(refused.status.reason, 'HOST_PATH_NOT_ALLOWED');
        assert.match(refused.status.message ?? '', /host path .*secret is not allowed/);
      });

      test('limits reach Docker: Memory, NanoCpus and ShmSize (half the memory)', async () => {
        const claim = await createClaimAs(c.t, alice.token, {
          spec: {
            image: TEST_IMAGE,
            resources: { gpuCount: 1, cpus: 1.5, memoryMiB: 512 },
            command: ['sleep', '3600'],
          },
        });
        const running = await waitForPhase(c.t, alice.token, claim.id, 'Running');
        const hc = await containerHostConfig(running.status.containerId ?? '');
        assert.deepEqual(
          [hc.Memory, hc.MemorySwap, hc.NanoCpus, hc.ShmSize],
          [512 * MIB, 512 * MIB, 1_500_000_000, 256 * MIB],
        );
        // 3.5 GiB of 4 are left: a claim for 4 GiB waits, saying so.
        const big = await createClaimAs(c.t, alice.token, {
          spec: {
            image: TEST_IMAGE,
            resources: { gpuCount: 1, memoryMiB: 4096 },
            command: ['true'],
            restartPolicy: 'Never',
          },
        });
        const waiting = await waitForClaim(c.t, alice.token, big.id, 'Unschedulable', (x) =>
          /insufficient memory/.test(x.status.message ?? ''),
        );
        assert.equal(waiting.status.phase, 'Pending');
        assert.equal(
          waiting.status.message,
          '0/1 nodes fit: 1 has insufficient memory: 3584 free of 4096 MiB, 4096 asked',
        );
        assert.deepEqual(waiting.status.placement?.exhaustedByDimension, { memory: 1 });
        // Once the first claim is gone, the room is back.
        await c.t.api('DELETE', `/api/gpu-claims/${claim.id}`, { token: alice.token });
        const placed = await waitForClaim(c.t, alice.token, big.id, 'placed', finished);
        assert.equal(placed.status.phase, 'Succeeded');
        // 4. Finished, it holds no memory, even while it is being deleted.
        await c.t.api('DELETE', `/api/gpu-claims/${big.id}`, { token: alice.token });
      });

      test('an over-limit memoryMiB claim stays Pending with a reason', async () => {
        const claim = await createClaimAs(c.t, alice.token, {
          spec: { image: TEST_IMAGE, resources: { gpuCount: 1, memoryMiB: 8192 } },
        });
        const pending = await waitForClaim(c.t, alice.token, claim.id, 'Unschedulable', (x) =>
          /insufficient memory/.test(x.status.message ?? ''),
        );
        assert.equal(pending.status.phase, 'Pending');
        assert.match(pending.status.message ?? '', /4096 free of 4096 MiB, 8192 asked/);
        await c.t.api('DELETE', `/api/gpu-claims/${claim.id}`, { token: alice.token });
        await waitForGone(c.t, alice.token, claim.id);
      });

      test('volumes API: rights per role, 409 while in use, then deleted with its Docker volume', async () => {
        const [vol] = await volumes(alice.token);
        assert.ok(vol);
        const path = `/api/volumes/${vol.id}`;
        // 1. Who may delete it: not another user (404), not a node (403), not nobody (401).
        assert.equal((await c.t.api('DELETE', path, { token: bob.token })).status, 404);
        const node = c.nodes[0]?.agent?.identity.credential ?? '';
        assert.equal((await c.t.api('DELETE', path, { token: node })).status, 403);
        assert.equal((await c.t.api('GET', '/api/volumes', { token: node })).status, 403);
        assert.equal((await c.t.api('DELETE', path)).status, 401);
        assert.equal((await c.t.api('GET', '/api/volumes')).status, 401);
        // 2. In use by a running claim: 409, and the volume says by whom.
        const user = await createClaimAs(
          c.t,
          alice.token,
          shell('sleep 3600', {
            restartPolicy: 'Always',
            volumes: [{ name: 'data', mountPath: '/data', readOnly: true }],
          }),
        );
        await waitForPhase(c.t, alice.token, user.id, 'Running');
        assert.deepEqual((await volumes(alice.token))[0]?.inUseBy, [user.id]);
        const busy = await c.t.api('DELETE', path, { token: alice.token });
        assert.equal(busy.status, 409, JSON.stringify(busy.body));
        assert.equal(busy.json.code, 'CONFLICT');
        // 3. Free again: the owner deletes it, and the Docker volume is gone.
        await c.t.api('DELETE', `/api/gpu-claims/${user.id}`, { token: alice.token });
        await waitForGone(c.t, alice.token, user.id);
        const gone = await c.t.api('DELETE', path, { token: alice.token });
        assert.equal(gone.status, 204, JSON.stringify(gone.body));
        assert.deepEqual(await volumes(alice.token), []);
        assert.deepEqual(await dockerVolumeNames(alice.id), []);
        assert.equal((await c.t.api('DELETE', path, { token: alice.token })).status, 404);
        // 4. An admin may delete any user's volume.
        const [bobs] = await volumes(bob.token);
        const admin = await c.t.adminToken();
        const byAdmin = await c.t.api('DELETE', `/api/volumes/${bobs?.id ?? ''}`, { token: admin });
        assert.equal(byAdmin.status, 204, JSON.stringify(byAdmin.body));
        assert.deepEqual(await dockerVolumeNames(bob.id), []);
      });
    });
  }
}

for (const dbKind of testDatabases()) {
  describe(`the scheduler prefers the node holding a claim's volume (${dbKind})`, () => {
    let c: TestCluster;
    let user: { id: string; token: string };
    before(async () => {
      // node-1 is the tighter fit, so best-fit alone would choose it.
      c = await startCluster(dbKind, [4, 2], { UTOPIA_RESYNC_INTERVAL_MS: '600000' });
      user = await c.t.createUser('carol');
      const admin = await c.t.adminToken();
      const nodes = await waitFor('both nodes Online', async () => {
        const res = await c.t.api('GET', '/api/nodes', { token: admin });
        const items = res.json.items as { id: string; hostname: string; status: string }[];
        return items.length === 2 && items.every((n) => n.status === 'Online') && items;
      });
      const node0 = nodes.find((n) => n.hostname === 'node-0')?.id ?? '';
      const res = await c.t.api('PATCH', `/api/nodes/${node0}`, {
        token: admin,
        body: { labels: { zone: 'a' } },
      });
      assert.equal(res.status, 200);
    });
    after(async () => {
      await c.close();
      if (user) await removeDockerVolumes(user.id);
    });

    test('a claim mounting the volume goes where the volume is, not to the best fit', async () => {
      const data = { volumes: [{ name: 'data', mountPath: '/data' }] };
      // 1. Pinned by nodeSelector, the first claim makes the volume on node-0.
      const first = await run(
        c,
        user.token,
        shell('true', { ...data, nodeSelector: { zone: 'a' } }),
      );
      assert.equal(first.status.nodeName, 'node-0');
      await c.t.api('DELETE', `/api/gpu-claims/${first.id}`, { token: user.token });
      await waitForGone(c.t, user.token, first.id);
      // 2. Free to go anywhere: without the volume it would take node-1 (best fit) ...
      const plain = await run(c, user.token, shell('true'));
      assert.equal(plain.status.nodeName, 'node-1');
      // 3. ... but with it, node-0 wins.
      const second = await run(c, user.token, shell('true', data));
      assert.equal(second.status.nodeName, 'node-0');
      assert.ok((second.status.placement?.topScores.length ?? 0) === 2);
    });
  });
}

/** run is used to create a claim and wait until it finished (Succeeded or Failed). */
async function run(c: TestCluster, token: string, body: unknown): Promise<GpuClaim> {
  const claim = await createClaimAs(c.t, token, body);
  return waitForClaim(c.t, token, claim.id, 'to finish', finished, 20_000);
}
