// Zero-touch onboarding through the frp tunnel, everything real: the server supervising frps,
// agents supervising frpc (simulated GPUs), Docker, and the database under test.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Node } from '@utopia/shared';
import { runContainers, startCluster, waitFor, type TestCluster } from '../testing/cluster.js';
import {
  createClaimAs,
  sleeperClaim,
  waitForClaim,
  waitForGone,
  waitForPhase,
} from '../testing/claims-client.js';
import { testDatabases } from '../testing/harness.js';

async function nodes(c: TestCluster): Promise<Node[]> {
  return (await c.t.api('GET', '/api/nodes', { token: await c.t.adminToken() })).json
    .items as Node[];
}

function waitNode(
  c: TestCluster,
  name: string,
  what: string,
  ok: (n: Node) => boolean,
  timeoutMs = 30_000,
): Promise<Node> {
  return waitFor(
    `node ${name} ${what}`,
    async () => (await nodes(c)).find((n) => n.hostname === name && ok(n)),
    timeoutMs,
  );
}

for (const dbKind of testDatabases()) {
  describe(`nodes through the frp tunnel (${dbKind})`, () => {
    let c: TestCluster;
    let user: string;
    before(async () => {
      const base = 21000 + Math.floor(Math.random() * 80) * 100;
      c = await startCluster(dbKind, [2, 2], {
        UTOPIA_FRP_MODE: 'supervised',
        UTOPIA_FRP_BIND_PORT: '0',
        UTOPIA_FRP_ALLOW_PORTS: `${base}-${base + 99}`,
      });
      user = (await c.t.createUser('tess')).token;
    });
    after(() => c.close());

    test('agents register, their tunnels appear, nodes go Online reachable only through the tunnel', async () => {
      for (const name of ['node-0', 'node-1']) {
        const n = await waitNode(
          c,
          name,
          'Online through its tunnel',
          (x) => x.status === 'Online' && x.tunnelPort !== null,
        );
        assert.equal(n.address, null, 'no direct address: the server dials the tunnel only');
      }
    });

    test('a claim runs through the tunnel; delete removes the container and frees the GPUs', async () => {
      const claim = await createClaimAs(c.t, user, sleeperClaim(2));
      const running = await waitForPhase(c.t, user, claim.id, 'Running');
      await c.t.api('DELETE', `/api/gpu-claims/${claim.id}`, { token: user });
      await waitForGone(c.t, user, claim.id);
      const left = (await runContainers(c.runLabel)).filter(
        (x) => x.Id === running.status.containerId,
      );
      assert.equal(left.length, 0);
      assert.ok((await nodes(c)).every((n) => n.gpusReserved === 0));
    });

    test('kill frpc: the agent restarts it and the node stays the same node', async () => {
      const node = c.nodes[0]!;
      const before = (await nodes(c)).length;
      const status = await node.agent!.tunnel!.status();
      assert.ok(status.pid, 'frpc runs');
      process.kill(status.pid, 'SIGKILL');
      await waitFor(
        'frpc restarted',
        async () => {
          const s = await node.agent!.tunnel!.status();
          return s.pid !== undefined && s.pid !== status.pid && s.control === 'running';
        },
        30_000,
      );
      await waitNode(
        c,
        node.name,
        'Online again',
        (x) => x.status === 'Online' && x.tunnelPort !== null,
      );
      assert.equal((await nodes(c)).length, before, 'no new registration');
      assert.equal(node.agent!.nodeId, (await nodes(c)).find((n) => n.hostname === node.name)?.id);
    });

    test('kill frps: the server restarts it, discovery finds the tunnels again, claims stay Running', async () => {
      const claim = await createClaimAs(c.t, user, sleeperClaim(1));
      const running = await waitForPhase(c.t, user, claim.id, 'Running');
      const pid = c.t.server.ctx.tunnel?.frpsPid();
      assert.ok(pid, 'frps runs');
      process.kill(pid, 'SIGKILL');
      await waitFor(
        'frps restarted',
        async () => {
          const now = c.t.server.ctx.tunnel?.frpsPid();
          return now !== undefined && now !== pid;
        },
        20_000,
      );
      // The tunnels come back (frpc reconnects) and the agent answers through them again.
      await waitFor(
        'a fresh poll through the new tunnels',
        async () => {
          const ports = await c.t.server.ctx.tunnel?.discover();
          return ports?.size === 2 ? true : undefined;
        },
        60_000,
      );
      const after = await waitForClaim(
        c.t,
        user,
        claim.id,
        'still Running',
        (x) => x.status.phase === 'Running',
      );
      assert.equal(
        after.status.containerId,
        running.status.containerId,
        'the same container, not a new one',
      );
      assert.equal(after.status.restartCount, 0);
      await c.t.api('DELETE', `/api/gpu-claims/${claim.id}`, { token: user });
      await waitForGone(c.t, user, claim.id, 30_000);
    });

    test('an agent gone past the grace period: Offline, claims move; back: Online, old container removed', async () => {
      const claim = await createClaimAs(c.t, user, sleeperClaim(2));
      const first = await waitForPhase(c.t, user, claim.id, 'Running', 30_000);
      const lost = c.nodes.find((n) => n.name === first.status.nodeName)!;
      await lost.stop();
      await waitNode(c, lost.name, 'Offline', (x) => x.status === 'Offline');
      const moved = await waitForClaim(
        c.t,
        user,
        claim.id,
        'running elsewhere',
        (x) => x.status.phase === 'Running' && x.status.nodeName !== lost.name,
        30_000,
      );
      await lost.start();
      await waitNode(
        c,
        lost.name,
        'Online again',
        (x) => x.status === 'Online' && x.tunnelPort !== null,
      );
      await waitFor(
        'old container removed',
        async () => {
          const mine = (await runContainers(c.runLabel)).filter(
            (x) => x.Labels['utopia.claim_id'] === claim.id,
          );
          return mine.length === 1 && mine[0]?.Id === moved.status.containerId ? true : undefined;
        },
        30_000,
      );
    });
  });
}
