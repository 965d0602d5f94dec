// Login sessions end with the change that should end them: a password change, a role change, a
// disabled or deleted user. API tokens follow the user's state but not its password.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

for (const dbKind of testDatabases()) {
  describe(`sessions end when they should (${dbKind})`, () => {
    let t: TestServer;
    let admin: string;

    before(async () => {
      t = await startTestServer(dbKind);
      admin = await t.adminToken();
    });
    after(() => t.close());

    const me = async (token: string): Promise<number> =>
      (await t.api('GET', '/api/auth/me', { token })).status;

    async function apiToken(token: string): Promise<string> {
      const res = await t.api('POST', '/api/auth/tokens', { token, body: { name: 'ci' } });
      assert.equal(res.status, 201);
      return String(res.json.token);
    }

    async function patchUser(id: string, body: Record<string, unknown>): Promise<void> {
      const res = await t.api('PATCH', `/api/users/${id}`, { token: admin, body });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }

    test('changing your password ends every login session, this one too', async () => {
      const { token: first } = await t.createUser('pwchange');
      const second = await t.login('pwchange', 'pwchange-password');
      const ci = await apiToken(first);
      const res = await t.api('PUT', '/api/auth/password', {
        token: first,
        body: { currentPassword: 'pwchange-password', newPassword: 'a-brand-new-password' },
      });
      assert.equal(res.status, 204);
      assert.equal(await me(first), 401);
      assert.equal(await me(second), 401);
      // The API token is a credential of its own: revoke it on its own.
      assert.equal(await me(ci), 200);
      assert.equal(await me(await t.login('pwchange', 'a-brand-new-password')), 200);
    });

    test('an admin resetting the password ends the sessions', async () => {
      const { id, token } = await t.createUser('pwreset');
      await patchUser(id, { password: 'reset-by-the-admin' });
      assert.equal(await me(token), 401);
      assert.equal(await me(await t.login('pwreset', 'reset-by-the-admin')), 200);
    });

    test('a role change ends the sessions; the next login carries the new role', async () => {
      const { id, token } = await t.createUser('promoted');
      await patchUser(id, { role: 'admin' });
      assert.equal(await me(token), 401);
      const fresh = await t.login('promoted', 'promoted-password');
      assert.equal((await t.api('GET', '/api/users', { token: fresh })).status, 200);
      // Setting the role it already has changes nothing, so it ends nothing.
      await patchUser(id, { role: 'admin' });
      assert.equal(await me(fresh), 200);
    });

    test('a GPU quota change leaves the sessions be', async () => {
      const { id, token } = await t.createUser('quota');
      await patchUser(id, { gpuQuota: 2 });
      assert.equal(await me(token), 200);
    });

    test('disabling ends sessions and API tokens; re-enabling brings back only API tokens', async () => {
      const { id, token } = await t.createUser('suspended');
      const ci = await apiToken(token);
      await patchUser(id, { disabled: true });
      assert.equal(await me(token), 401);
      assert.equal(await me(ci), 401);
      await patchUser(id, { disabled: false });
      assert.equal(await me(token), 401, 'an old session does not come back');
      assert.equal(await me(ci), 200);
      assert.equal(await me(await t.login('suspended', 'suspended-password')), 200);
    });

    test("a deleted user's sessions and API tokens stop working", async () => {
      const { id, token } = await t.createUser('gone');
      const ci = await apiToken(token);
      // No route deletes users yet; the row going away is what any future one would do.
      await t.server.ctx.db.kysely.deleteFrom('users').where('id', '=', id).execute();
      assert.equal(await me(token), 401);
      assert.equal(await me(ci), 401);
    });
  });
}
