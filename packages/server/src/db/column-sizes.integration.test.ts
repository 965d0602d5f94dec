// MySQL/MariaDB stores everything SQLite stores: the largest claim and the largest node the API
// accepts come back byte for byte, and text compares exactly (no case folding).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

// JSON escapes U+0001 as \u0001: six bytes per character, the most any allowed character costs.
const WIDE = '\u0001';

function key(prefix: string, i: number, length: number): string {
  const head = `${prefix}${String(i).padStart(3, '0')}`;
  return head + 'k'.repeat(length - head.length);
}

/** largestSpec is used to build a claim spec with every list and string at its maximum. */
function largestSpec(gpuCount: number): Record<string, unknown> {
  const range = (n: number) => [...Array(n).keys()];
  return {
    image: `${'r'.repeat(100)}/${'p'.repeat(60)}:${'t'.repeat(93)}`,
    resources: { gpuCount, gpuModel: WIDE.repeat(128), minGpuMemoryMiB: 10_000_000 },
    command: range(128).map(() => WIDE.repeat(4096)),
    env: Object.fromEntries(range(128).map((i) => [key('E', i, 128), WIDE.repeat(8192)])),
    ports: range(16).map((i) => ({ containerPort: 1000 + i, protocol: 'udp' })),
    nodeSelector: Object.fromEntries(range(32).map((i) => [key('s', i, 63), 'v'.repeat(63)])),
    restartPolicy: 'OnFailure',
  };
}

/** largestNode is used to build a registration with every field at its maximum. */
function largestNode(joinToken: string): Record<string, unknown> {
  const address = 'http://127.0.0.1:9/';
  return {
    joinToken,
    hostname: 'h'.repeat(253),
    machineId: WIDE.repeat(128),
    agentVersion: WIDE.repeat(64),
    address: address + 'a'.repeat(2048 - address.length),
    gpus: [...Array(64).keys()].map((i) => ({
      index: 1023 - i,
      uuid: WIDE.repeat(128),
      model: WIDE.repeat(256),
      memoryTotalMiB: 81920,
    })),
  };
}

for (const dbKind of testDatabases()) {
  describe(`the database holds whatever the API accepts (${dbKind})`, () => {
    let t: TestServer;
    let admin: string;
    before(async () => {
      t = await startTestServer(dbKind, { UTOPIA_BODY_LIMIT_BYTES: String(16 << 20) });
      admin = await t.adminToken();
    });
    after(() => t.close());

    test('the largest valid node registration round-trips', async () => {
      const jt = await t.api('POST', '/api/join-tokens', {
        token: admin,
        body: { description: WIDE.repeat(200) },
      });
      assert.equal(jt.status, 201);
      const sent = largestNode(String(jt.json.token));
      const reg = await t.api('POST', '/api/nodes/register', { body: sent });
      assert.equal(reg.status, 201, JSON.stringify(reg.json));
      const node = await t.api('GET', `/api/nodes/${String(reg.json.nodeId)}`, { token: admin });
      assert.equal(node.json.hostname, sent.hostname);
      assert.equal(node.json.address, sent.address);
      assert.equal(node.json.agentVersion, sent.agentVersion);
      const gpus = node.json.gpus as Record<string, unknown>[];
      const sentGpus = sent.gpus as Record<string, unknown>[];
      assert.deepEqual(
        gpus.map((g) => [g.index, g.uuid, g.model, g.memoryTotalMiB]).sort(),
        sentGpus.map((g) => [g.index, g.uuid, g.model, g.memoryTotalMiB]).sort(),
      );
      const tokens = await t.api('GET', '/api/join-tokens', { token: admin });
      const descriptions = (tokens.json.items as { description: string }[]).map(
        (i) => i.description,
      );
      assert.ok(descriptions.includes(WIDE.repeat(200)));
    });

    test('the largest valid claim (about 9.5 MB of spec) round-trips', async () => {
      const spec = largestSpec(64);
      assert.ok(JSON.stringify(spec).length > 9_000_000);
      const name = 'n'.repeat(63);
      const created = await t.api('POST', '/api/gpu-claims', {
        token: admin,
        body: { name, spec },
      });
      assert.equal(created.status, 201, JSON.stringify(created.json).slice(0, 500));
      const got = await t.api('GET', `/api/gpu-claims/${String(created.json.id)}`, {
        token: admin,
      });
      assert.equal(got.status, 200);
      assert.equal(got.json.name, name);
      assert.deepEqual(got.json.spec, spec);
    });

    test('usernames that differ only in case are two users', async () => {
      const a = await t.createUser('Casey');
      const b = await t.createUser('casey');
      assert.notEqual(a.id, b.id);
      const wrongCase = await t.api('POST', '/api/auth/login', {
        body: { username: 'CASEY', password: 'Casey-password' },
      });
      assert.equal(wrongCase.status, 401);
    });
  });
}
