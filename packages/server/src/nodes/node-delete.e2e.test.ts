// Deleting a node stops its claim containers at once, so a claim never runs twice, and the GPUs
// are not handed out twice when the machine joins again under a new identity.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createClaimAs, waitForClaim, waitForPhase } from '../testing/claims-client.js';
import { runContainers, startCluster, TEST_IMAGE, type TestCluster } from '../testing/cluster.js';
import { testDatabases } from '../testing/harness.js';

for (const dbKind of testDatabases()) {
  describe(`deleting a node that runs a claim (${dbKind})`, () => {
    let c: TestCluster;
    before(async () => {
      c = await startCluster(dbKind, [2]);
    });
    after(() => c.close());

    test('its container stops at once; after the machine re-joins the claim runs once', async () => {
      const user = (await c.t.createUser('ada')).token;
      const admin = await c.t.adminToken();
      const claim = await createClaimAs(c.t, user, {
        spec: { image: TEST_IMAGE, resources: { gpuCount: 2 }, command: ['sleep', '3600'] },
      });
      const running = await waitForPhase(c.t, user, claim.id, 'Running');
      const oldNode = running.status.nodeId ?? '';

      const del = await c.t.api('DELETE', `/api/nodes/${oldNode}`, { token: admin });
      assert.equal(del.status, 204);
      const live = (await runContainers(c.runLabel)).filter((x) => x.State === 'running');
      assert.deepEqual(live, [], 'no container keeps running on the deleted node');
      await waitForClaim(
        c.t,
        user,
        claim.id,
        'back to Pending',
        (x) => x.status.phase === 'Pending',
      );

      // The same machine joins again as a new node (its old identity is gone with the node).
      const node = c.nodes[0];
      assert.ok(node);
      await node.stop();
      rmSync(join(node.dataDir, 'agent-identity.json'), { force: true });
      await node.start();
      const again = await waitForPhase(c.t, user, claim.id, 'Running');
      assert.notEqual(again.status.nodeId, oldNode);

      const containers = (await runContainers(c.runLabel)).filter((x) => x.State === 'running');
      assert.equal(containers.length, 1, 'the claim runs exactly once');
      const held = containers.flatMap((x) => (x.Labels['utopia.gpu_ids'] ?? '').split(','));
      assert.equal(new Set(held).size, held.length, 'no GPU is given to two containers');
      assert.equal(containers[0]?.Labels['utopia.claim_id'], claim.id);
    });
  });
}
