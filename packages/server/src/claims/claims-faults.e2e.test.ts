// Faults in the claims flow: agents going away, nodes lost, deletes at awkward moments, and a
// server restart in the middle of reconciling. Real server, real agents, real Docker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { GpuClaim } from '@utopia/shared';
import { runContainers, startCluster, waitFor, type TestCluster } from '../testing/cluster.js';
import {
  sleeperClaim,
  createClaimAs,
  waitForClaim,
  waitForGone,
  waitForPhase,
} from '../testing/claims-client.js';
import { testDatabases, type TestServer } from '../testing/harness.js';

async function nodeStatus(t: TestServer, hostname: string): Promise<string | undefined> {
  const res = await t.api('GET', '/api/nodes', { token: await t.adminToken() });
  return (res.json.items as { hostname: string; status: string }[]).find(
    (n) => n.hostname === hostname,
  )?.status;
}

function waitNodeStatus(t: TestServer, hostname: string, status: string): Promise<true> {
  return waitFor(`node ${hostname} ${status}`, async () =>
    (await nodeStatus(t, hostname)) === status ? true : undefined,
  );
}

async function containersOf(
  c: TestCluster,
  claimId: string,
): Promise<{ Id: string; State: string }[]> {
  return (await runContainers(c.runLabel)).filter((x) => x.Labels['utopia.claim_id'] === claimId);
}

for (const dbKind of testDatabases()) {
  describe(`an agent that goes away briefly (${dbKind})`, () => {
    let c: TestCluster;
    let user: string;
    before(async () => {
      // A long grace period: the node stays Online, so the controller must back off and retry.
      c = await startCluster(dbKind, [4], { UTOPIA_NODE_GRACE_MS: '60000' });
      user = (await c.t.createUser('erin')).token;
      await waitNodeStatus(c.t, 'node-0', 'Online');
    });
    after(() => c.close());

    test('agent down → the create backs off, then Running when the agent returns', async () => {
      const node = c.nodes[0]!;
      await node.stop();
      const claim = await createClaimAs(c.t, user, sleeperClaim(1));
      await waitForClaim(
        c.t,
        user,
        claim.id,
        'waiting for its agent',
        (x) => x.status.reason === 'AgentUnavailable',
      );
      await node.start();
      const running = await waitForPhase(c.t, user, claim.id, 'Running');
      assert.ok(running.events?.some((e) => e.reason === 'AgentUnavailable'));
      assert.equal((await containersOf(c, claim.id)).length, 1);
    });

    test('delete while Scheduled (agent down): Terminating until the agent answers, then gone', async () => {
      const node = c.nodes[0]!;
      await node.stop();
      const claim = await createClaimAs(c.t, user, sleeperClaim(1));
      await waitForClaim(c.t, user, claim.id, 'Scheduled', (x) => x.status.phase === 'Scheduled');
      assert.equal(
        (await c.t.api('DELETE', `/api/gpu-claims/${claim.id}`, { token: user })).status,
        202,
      );
      await waitForPhase(c.t, user, claim.id, 'Terminating');
      await node.start();
      await waitForGone(c.t, user, claim.id);
      assert.equal((await containersOf(c, claim.id)).length, 0);
    });
  });

  describe(`a node whose Docker Engine is down (${dbKind})`, () => {
    let c: TestCluster;
    after(() => c.close());

    test('the node is Online; its claim waits, saying Docker is unavailable', async () => {
      c = await startCluster(dbKind, []);
      await c.addNode('no-docker', 2, { dockerSocket: '/nonexistent/docker.sock' });
      await waitNodeStatus(c.t, 'no-docker', 'Online');
      const user = (await c.t.createUser('hank')).token;
      const claim = await createClaimAs(c.t, user, sleeperClaim(1));
      const waiting = await waitForClaim(
        c.t,
        user,
        claim.id,
        'waiting for Docker',
        (x) => x.status.reason === 'AgentUnavailable',
      );
      assert.equal(waiting.status.phase, 'Scheduled');
      assert.match(waiting.status.message ?? '', /Docker/i);
      // The node says so too (the web UI's banner reads it), with an event.
      const admin = await c.t.adminToken();
      const nodes = await c.t.api('GET', '/api/nodes', { token: admin });
      const items = nodes.json.items as { hostname: string; id: string; dockerProblem: unknown }[];
      const node = items.find((n) => n.hostname === 'no-docker');
      assert.match(String(node?.dockerProblem), /nonexistent\/docker\.sock/);
      const events = await c.t.api('GET', `/api/events?nodeId=${node?.id}`, { token: admin });
      const reasons = (events.json.items as { reason: string }[]).map((e) => e.reason);
      assert.ok(reasons.includes('DockerUnavailable'), reasons.join(' '));
    });
  });

  describe(`a node that is lost (${dbKind})`, () => {
    let c: TestCluster;
    let user: string;
    before(async () => {
      c = await startCluster(dbKind, [2, 2]);
      user = (await c.t.createUser('frank')).token;
      await waitNodeStatus(c.t, 'node-0', 'Online');
      await waitNodeStatus(c.t, 'node-1', 'Online');
    });
    after(() => c.close());

    test('node Offline past the grace period → its claim runs elsewhere; back Online → old container removed', async () => {
      const claim = await createClaimAs(c.t, user, sleeperClaim(2));
      const first = await waitForPhase(c.t, user, claim.id, 'Running');
      const lost = c.nodes.find((n) => n.name === first.status.nodeName)!;
      await lost.stop();
      await waitNodeStatus(c.t, lost.name, 'Offline');
      const moved = await waitForClaim(
        c.t,
        user,
        claim.id,
        'running elsewhere',
        (x) => x.status.phase === 'Running' && x.status.nodeName !== lost.name,
      );
      assert.ok(moved.events?.some((e) => e.reason === 'NodeLost'));
      assert.equal(
        (await containersOf(c, claim.id)).filter((x) => x.State === 'running').length,
        2,
        'the lost node still runs the old one',
      );
      await lost.start();
      await waitNodeStatus(c.t, lost.name, 'Online');
      await waitFor('old container removed', async () =>
        (await containersOf(c, claim.id)).length === 1 ? true : undefined,
      );
      const [only] = await containersOf(c, claim.id);
      assert.equal(only?.Id, moved.status.containerId);
      await c.t.api('DELETE', `/api/gpu-claims/${claim.id}`, { token: user });
      await waitForGone(c.t, user, claim.id);
    });

    test('delete while the node is unreachable: the claim goes once the node is Offline; the container later', async () => {
      const claim = await createClaimAs(c.t, user, sleeperClaim(2));
      const running = await waitForPhase(c.t, user, claim.id, 'Running');
      const node = c.nodes.find((n) => n.name === running.status.nodeName)!;
      await node.stop();
      assert.equal(
        (await c.t.api('DELETE', `/api/gpu-claims/${claim.id}`, { token: user })).status,
        202,
      );
      await waitForGone(c.t, user, claim.id);
      const nodes = await c.t.api('GET', '/api/nodes', { token: await c.t.adminToken() });
      assert.ok(
        (nodes.json.items as { gpusReserved: number }[]).every((n) => n.gpusReserved === 0),
      );
      await node.start();
      await waitFor('orphan removed', async () =>
        (await containersOf(c, claim.id)).length === 0 ? true : undefined,
      );
    });
    test('every node failing at once is taken for our own network trouble: nodes stay Online', async () => {
      const admin = await c.t.adminToken();
      const versions = async (): Promise<number[]> =>
        (
          (await c.t.api('GET', '/api/nodes', { token: admin })).json.items as { version: number }[]
        ).map((n) => n.version);
      const quiet = await versions();
      await new Promise((r) => setTimeout(r, 1000)); // several polls
      // About seven polls; at most the once-a-minute heartbeat may have been written meanwhile.
      const later = await versions();
      later.forEach((v, i) =>
        assert.ok(v - (quiet[i] ?? 0) <= 1, 'polls that change nothing write nothing'),
      );
      await Promise.all(c.nodes.map((n) => n.stop()));
      await new Promise((r) => setTimeout(r, 7000)); // more than twice the grace period
      assert.equal(await nodeStatus(c.t, 'node-0'), 'Online');
      assert.equal(await nodeStatus(c.t, 'node-1'), 'Online');
      for (const n of c.nodes) await n.start();
    });

    test('drain: the node is cordoned and its claim moves; the old container is removed', async () => {
      const claim = await createClaimAs(c.t, user, sleeperClaim(2));
      const first = await waitForPhase(c.t, user, claim.id, 'Running');
      const admin = await c.t.adminToken();
      const drained = await c.t.api('POST', `/api/nodes/${first.status.nodeId ?? ''}/drain`, {
        token: admin,
      });
      assert.equal(drained.status, 200);
      assert.equal(drained.json.schedulable, false);
      const moved = await waitForClaim(
        c.t,
        user,
        claim.id,
        'moved off the drained node',
        (x) => x.status.phase === 'Running' && x.status.nodeId !== first.status.nodeId,
      );
      assert.ok(moved.events?.some((e) => e.reason === 'NodeDrained'));
      await waitFor('old container removed', async () =>
        (await containersOf(c, claim.id)).length === 1 ? true : undefined,
      );
    });
  });

  describe(`a server restart in the middle of reconciling (${dbKind})`, () => {
    let c: TestCluster;
    before(async () => {
      c = await startCluster(dbKind, [8, 8]);
      await waitNodeStatus(c.t, 'node-0', 'Online');
      await waitNodeStatus(c.t, 'node-1', 'Online');
    });
    after(() => c.close());

    test('claims converge with no duplicate containers and no GPU given twice', async () => {
      const user = (await c.t.createUser('gina')).token;
      const claims: GpuClaim[] = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          createClaimAs(c.t, user, sleeperClaim(i % 3 === 0 ? 2 : 1)),
        ),
      );
      await c.t.restart();
      const token = await c.t.login('gina', 'gina-password');
      for (const claim of claims) await waitForPhase(c.t, token, claim.id, 'Running', 30_000);
      const containers = await runContainers(c.runLabel);
      for (const claim of claims) {
        assert.equal(
          containers.filter((x) => x.Labels['utopia.claim_id'] === claim.id).length,
          1,
          `claim ${claim.id}`,
        );
      }
      const seen = new Set<string>();
      for (const x of containers) {
        for (const gpu of (x.Labels['utopia.gpu_ids'] ?? '').split(',').filter(Boolean)) {
          const key = `${x.Labels['utopia.node_id']}/${gpu}`;
          assert.ok(!seen.has(key), `GPU ${key} given twice`);
          seen.add(key);
        }
      }
      assert.equal(seen.size, 16); // 4 claims × 2 GPUs + 8 × 1: both nodes exactly full
    });
  });
}
