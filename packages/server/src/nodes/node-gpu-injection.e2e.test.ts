// A node shows how its agent gives containers their GPUs: the real agent reports it in its
// metrics, the health loop stores it (nodes.gpu_injection), GET /api/nodes shows it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startCluster, waitFor, type TestCluster } from '../testing/cluster.js';
import { testDatabases } from '../testing/harness.js';

for (const dbKind of testDatabases()) {
  describe(`a node's GPU injection mode (${dbKind})`, () => {
    let c: TestCluster;
    before(async () => {
      c = await startCluster(dbKind, [1]);
    });
    after(() => c.close());

    test('simulated GPUs: mode none, and why', async () => {
      const admin = await c.t.adminToken();
      const injection = await waitFor('the node to report its GPU injection', async () => {
        const res = await c.t.api('GET', '/api/nodes', { token: admin });
        const items: unknown = res.json.items;
        const node = Array.isArray(items) ? items[0] : undefined;
        const value: unknown = Object(node).gpuInjection;
        return value === null ? undefined : value;
      });
      assert.deepEqual(Object.keys(Object(injection)).sort(), ['mode', 'reason']);
      assert.equal(Object(injection).mode, 'none');
      assert.match(String(Object(injection).reason), /^simulated GPUs .*no device$/);
    });
  });
}
