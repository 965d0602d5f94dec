// GET /api/events over HTTP on a real database: who sees which events, the node and claim
// filters, the limit, newest first, and bad queries refused with a stable code.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';
import { registerApiNode } from '../testing/nodes-client.js';

interface Ev {
  id: number;
  kind: string;
  objectId: string;
  objectName: string;
  type: string;
  reason: string;
  time: string;
}

// nodeSelector matches no node, so the claims stay Pending whatever the controller does.
const CLAIM = { image: 'busybox:latest', resources: { gpuCount: 1 }, nodeSelector: { never: 'x' } };

for (const dbKind of testDatabases()) {
  describe(`recent events (${dbKind})`, () => {
    let t: TestServer;
    let admin: string;
    let alice: string;
    const nodeIds: Record<string, string> = {};
    const claimIds: Record<string, string> = {};

    async function events(token: string, query = ''): Promise<Ev[]> {
      const res = await t.api('GET', `/api/events${query}`, { token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.json.items as Ev[];
    }

    before(async () => {
      t = await startTestServer(dbKind);
      admin = await t.adminToken();
      alice = (await t.createUser('alice')).token;
      const bob = (await t.createUser('bob')).token;
      for (const hostname of ['gpu-a', 'gpu-b'])
        nodeIds[hostname] = (await registerApiNode(t, admin, hostname)).nodeId;
      for (const [name, token] of [
        ['alice-job', alice],
        ['bob-job', bob],
      ] as const) {
        const res = await t.api('POST', '/api/gpu-claims', { token, body: { name, spec: CLAIM } });
        assert.equal(res.status, 201);
        claimIds[name] = String(res.json.id);
      }
    });
    after(() => t.close());

    test('an admin sees claim and node events, newest first, with their names', async () => {
      const items = await events(admin);
      const ids = items.map((e) => e.id);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => b - a),
        'newest first',
      );
      const created = items.filter((e) => e.reason === 'Created').map((e) => e.objectName);
      assert.deepEqual(created.sort(), ['alice-job', 'bob-job']);
      const registered = items.filter((e) => e.reason === 'Registered');
      assert.deepEqual(registered.map((e) => e.objectName).sort(), ['gpu-a', 'gpu-b']);
      assert.ok(registered.every((e) => e.kind === 'Node' && nodeIds[e.objectName] === e.objectId));
      assert.ok(items.every((e) => !Number.isNaN(Date.parse(e.time))));
    });

    test("a user sees the nodes' events and only their own claims'", async () => {
      const items = await events(alice);
      const claims = new Set(items.filter((e) => e.kind === 'GpuClaim').map((e) => e.objectId));
      assert.deepEqual([...claims], [claimIds['alice-job']]);
      assert.equal(items.filter((e) => e.reason === 'Registered').length, 2);
      // Another user's claim asked for by id: nothing, as if it had no events.
      assert.deepEqual(await events(alice, `?claimId=${claimIds['bob-job']}`), []);
    });

    test("nodeId keeps that node's events; claimId that claim's", async () => {
      const node = await events(alice, `?nodeId=${nodeIds['gpu-a']}`);
      assert.ok(node.length >= 1);
      assert.ok(node.every((e) => e.kind === 'Node' && e.objectId === nodeIds['gpu-a']));
      const claim = await events(admin, `?claimId=${claimIds['bob-job']}`);
      assert.ok(claim.some((e) => e.reason === 'Created'));
      assert.ok(claim.every((e) => e.objectId === claimIds['bob-job']));
      assert.deepEqual(await events(admin, '?nodeId=no-such-node'), []);
      // The filters combine: no event is about a node and a claim at once.
      const both = `?nodeId=${nodeIds['gpu-a']}&claimId=${claimIds['bob-job']}`;
      assert.deepEqual(await events(admin, both), []);
    });

    test('limit keeps the newest ones', async () => {
      const all = await events(admin);
      const one = await events(admin, '?limit=1');
      assert.equal(one.length, 1);
      assert.equal(one[0]?.id, all[0]?.id);
    });

    for (const query of [
      '?limit=0',
      '?limit=501',
      '?limit=ten',
      '?nodeId=not%20an%20id',
      `?claimId=${'x'.repeat(65)}`,
      '?kind=Node',
    ]) {
      test(`${query} is 400 VALIDATION_FAILED`, async () => {
        const res = await t.api('GET', `/api/events${query}`, { token: admin });
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.json.code, 'VALIDATION_FAILED');
      });
    }
  });
}
