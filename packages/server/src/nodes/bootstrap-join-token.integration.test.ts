// A launcher's pre-shared join token: accepted once, like a token made through the API.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

const token = `utj_${randomBytes(8).toString('hex')}.${randomBytes(32).toString('base64url')}`;
const register = (t: TestServer, joinToken: string, machineId: string) =>
  t.api('POST', '/api/nodes/register', {
    body: {
      joinToken,
      hostname: machineId,
      machineId,
      agentVersion: 'test',
      address: '',
      gpus: [],
    },
  });

for (const db of testDatabases()) {
  describe(`bootstrap join token (${db})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer(db, { UTOPIA_BOOTSTRAP_JOIN_TOKEN: token });
    });
    after(() => t.close());

    test('registers one node, then is used up; a restart does not renew it', async () => {
      assert.equal((await register(t, token, 'local-1')).status, 201);
      assert.equal((await register(t, token, 'local-2')).status, 401);
      await t.restart();
      assert.equal((await register(t, token, 'local-3')).status, 401);
    });

    test('shows in the join-token list as a one-use bootstrap token', async () => {
      const res = await t.api('GET', '/api/join-tokens', { token: await t.adminToken() });
      const items = res.json.items as { description: string; maxUses: number | null }[];
      const boot = items.find((i) => i.description.startsWith('bootstrap'));
      assert.equal(boot?.maxUses, 1);
    });
  });
}

describe('bootstrap join token: a malformed one stops the server at start', () => {
  for (const bad of ['utj_short.x', 'nope', `utj_${'a'.repeat(10)}.${'b'.repeat(10)}`]) {
    test(JSON.stringify(bad), async () => {
      await assert.rejects(
        startTestServer('sqlite', { UTOPIA_BOOTSTRAP_JOIN_TOKEN: bad }),
        /bootstrap join token/,
      );
    });
  }
});
