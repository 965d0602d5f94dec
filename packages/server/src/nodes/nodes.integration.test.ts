// Node registration and node admin through the HTTP API (no agent process needed).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

const GPU = { index: 0, uuid: 'GPU-0000', model: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920 };

function registerBody(joinToken: string, hostname = 'gpu-01') {
  return {
    joinToken,
    hostname,
    machineId: 'm-1',
    agentVersion: '0.1.0',
    address: 'http://127.0.0.1:9',
    gpus: [GPU, { ...GPU, index: 1, uuid: 'GPU-0001' }],
  };
}

for (const dbKind of testDatabases()) {
  describe(`node registration (${dbKind})`, () => {
    let t: TestServer;
    let admin: string;
    let nowMs = Date.now();
    before(async () => {
      t = await startTestServer(dbKind, {}, { now: () => nowMs });
      admin = await t.adminToken();
    });
    after(() => t.close());

    async function joinToken(body: object = {}): Promise<{ token: string; id: string }> {
      const res = await t.api('POST', '/api/join-tokens', { token: admin, body });
      assert.equal(res.status, 201);
      return {
        token: String(res.json.token),
        id: String((res.json.joinToken as { id: string }).id),
      };
    }

    async function nodeCount(): Promise<number> {
      return ((await t.api('GET', '/api/nodes', { token: admin })).json.items as unknown[]).length;
    }

    test('a valid join token registers a node with its own credential', async () => {
      const { token } = await joinToken();
      const res = await t.api('POST', '/api/nodes/register', { body: registerBody(token) });
      assert.equal(res.status, 201);
      assert.match(String(res.json.credential), /^utn_/);
      assert.match(String(res.json.agentToken), /^uta_/);
      const node = await t.api('GET', `/api/nodes/${String(res.json.nodeId)}`, { token: admin });
      assert.equal(node.json.status, 'Registering');
      assert.equal(node.json.gpuCount, 2);
      const self = await t.api('PUT', '/api/nodes/self', {
        token: String(res.json.credential),
        body: {
          hostname: 'gpu-01b',
          agentVersion: '0.2.0',
          address: 'http://127.0.0.1:10',
          gpus: [GPU],
        },
      });
      assert.deepEqual(self.body, { nodeId: res.json.nodeId });
      const after = await t.api('GET', `/api/nodes/${String(res.json.nodeId)}`, { token: admin });
      assert.equal(after.json.hostname, 'gpu-01b');
      assert.equal(after.json.gpuCount, 1);
    });

    test('each node gets a different credential and agent token', async () => {
      const { token } = await joinToken();
      const a = await t.api('POST', '/api/nodes/register', { body: registerBody(token, 'a') });
      const b = await t.api('POST', '/api/nodes/register', { body: registerBody(token, 'b') });
      assert.notEqual(a.json.credential, b.json.credential);
      assert.notEqual(a.json.agentToken, b.json.agentToken);
    });

    test('wrong, revoked, expired and used-up join tokens → 401 JOIN_TOKEN_INVALID, nothing written', async () => {
      const before = await nodeCount();
      const good = await joinToken({ maxUses: 1 });
      const wrongSecret = good.token.replace(
        /\.(.)/,
        (_m, ch: string) => `.${ch === 'a' ? 'b' : 'a'}`,
      );
      const revoked = await joinToken();
      assert.equal(
        (await t.api('DELETE', `/api/join-tokens/${revoked.id}`, { token: admin })).status,
        204,
      );
      const expiring = await joinToken({ expiresInHours: 1 });
      for (const token of [wrongSecret, revoked.token, 'not-a-token']) {
        const res = await t.api('POST', '/api/nodes/register', { body: registerBody(token) });
        assert.equal(res.status, 401);
        assert.equal(res.json.code, 'JOIN_TOKEN_INVALID');
      }
      nowMs += 2 * 3_600_000;
      try {
        const res = await t.api('POST', '/api/nodes/register', {
          body: registerBody(expiring.token),
        });
        assert.equal(res.json.code, 'JOIN_TOKEN_INVALID');
      } finally {
        nowMs -= 2 * 3_600_000;
      }
      assert.equal(
        (await t.api('POST', '/api/nodes/register', { body: registerBody(good.token) })).status,
        201,
      );
      const again = await t.api('POST', '/api/nodes/register', { body: registerBody(good.token) });
      assert.equal(again.json.code, 'JOIN_TOKEN_INVALID');
      assert.equal(await nodeCount(), before + 1);
      const listed = await t.api('GET', '/api/join-tokens', { token: admin });
      const row = (listed.json.items as { id: string; useCount: number }[]).find(
        (j) => j.id === good.id,
      );
      assert.equal(row?.useCount, 1);
    });

    test('racing for the last uses of a join token: exactly maxUses nodes join', async () => {
      const { token } = await joinToken({ maxUses: 2 });
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          t.api('POST', '/api/nodes/register', { body: registerBody(token, `race-${i}`) }),
        ),
      );
      assert.equal(results.filter((r) => r.status === 201).length, 2);
      assert.equal(results.filter((r) => r.status === 401).length, 4);
    });

    test('a deleted node: its credential is refused with NODE_CREDENTIAL_INVALID', async () => {
      const { token } = await joinToken();
      const reg = await t.api('POST', '/api/nodes/register', { body: registerBody(token, 'gone') });
      assert.equal(
        (await t.api('DELETE', `/api/nodes/${String(reg.json.nodeId)}`, { token: admin })).status,
        204,
      );
      const res = await t.api('PUT', '/api/nodes/self', {
        token: String(reg.json.credential),
        body: { hostname: 'gone', agentVersion: '1', address: '', gpus: [] },
      });
      assert.equal(res.status, 401);
      assert.equal(res.json.code, 'NODE_CREDENTIAL_INVALID');
    });

    test('a node credential with a forged secret is refused', async () => {
      const { token } = await joinToken();
      const reg = await t.api('POST', '/api/nodes/register', {
        body: registerBody(token, 'forge'),
      });
      const forged = `${String(reg.json.credential).split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
      const res = await t.api('PUT', '/api/nodes/self', {
        token: forged,
        body: { hostname: 'x', agentVersion: '1', address: '', gpus: [] },
      });
      assert.equal(res.status, 401);
    });

    test('cordon and labels', async () => {
      const { token } = await joinToken();
      const reg = await t.api('POST', '/api/nodes/register', {
        body: registerBody(token, 'labelled'),
      });
      const id = String(reg.json.nodeId);
      const res = await t.api('PATCH', `/api/nodes/${id}`, {
        token: admin,
        body: { schedulable: false, labels: { zone: 'lab-1' } },
      });
      assert.equal(res.status, 200);
      assert.equal(res.json.schedulable, false);
      assert.deepEqual(res.json.labels, { zone: 'lab-1' });
      const bad = await t.api('PATCH', `/api/nodes/${id}`, {
        token: admin,
        body: { labels: { 'bad key!': 'x' } },
      });
      assert.equal(bad.status, 400);
      assert.equal(
        (await t.api('PATCH', `/api/nodes/${id}`, { token: admin, body: {} })).status,
        400,
      );
    });
  });
}
