// Login throttling over HTTP: nobody can lock someone else out, and guessing still slows down.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN_PASSWORD,
  startTestServer,
  testDatabases,
  type TestServer,
} from '../testing/harness.js';

for (const dbKind of testDatabases()) {
  describe(`login throttling (${dbKind})`, () => {
    let t: TestServer;
    let nowMs = Date.now();
    const clock = { now: () => nowMs };

    before(async () => {
      t = await startTestServer(
        dbKind,
        { UTOPIA_LOGIN_MAX_FAILURES: '3', UTOPIA_LOGIN_MAX_PER_ADDRESS: '5' },
        clock,
      );
    });
    after(() => t.close());

    // inject sets the client address, which a real socket from this test could not.
    async function login(username: string, password: string, from: string) {
      const res = await t.server.built.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        payload: { username, password },
        remoteAddress: from,
      });
      const body: unknown = res.json();
      const code = typeof body === 'object' && body !== null && 'code' in body ? body.code : null;
      return { status: res.statusCode, code, retryAfter: res.headers['retry-after'] };
    }

    test("a stranger's wrong passwords do not lock the admin out of their own address", async () => {
      // 1. Someone guesses the admin's password from 203.0.113.9 until they are throttled.
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await login('admin', 'guess', '203.0.113.9')).status);
      assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429]);
      // 2. The throttled answer is coded and says when to come back.
      const limited = await login('admin', ADMIN_PASSWORD, '203.0.113.9');
      assert.equal(limited.status, 429);
      assert.equal(limited.code, 'RATE_LIMITED');
      assert.equal(limited.retryAfter, '1');
      // 3. The admin, from their own address, logs in at once.
      assert.equal((await login('admin', ADMIN_PASSWORD, '198.51.100.20')).status, 200);
      // 4. The guesser waits 1 s, then 2 s: the delay grows, it never becomes a lock.
      nowMs += 1000;
      assert.equal((await login('admin', 'guess', '203.0.113.9')).status, 401);
      const next = await login('admin', 'guess', '203.0.113.9');
      assert.equal(next.status, 429);
      assert.equal(next.retryAfter, '2');
    });

    test('successful logins never count against the per-address limit', async () => {
      await t.createUser('frequent');
      for (let i = 0; i < 8; i++) {
        const res = await login('frequent', 'frequent-password', '198.51.100.21');
        assert.equal(res.status, 200, `login ${i + 1}`);
      }
    });

    test('a success resets the count for that user and address', async () => {
      await t.createUser('forgetful');
      for (let i = 0; i < 2; i++)
        assert.equal((await login('forgetful', 'nope', '198.51.100.22')).status, 401);
      assert.equal((await login('forgetful', 'forgetful-password', '198.51.100.22')).status, 200);
      for (let i = 0; i < 3; i++)
        assert.equal((await login('forgetful', 'nope', '198.51.100.22')).status, 401);
    });

    test('parallel guesses get no more tries than sequential ones', async () => {
      await t.createUser('target');
      const results = await Promise.all(
        Array.from({ length: 8 }, () => login('target', 'wrong', '203.0.113.10')),
      );
      const statuses = results.map((r) => r.status).sort();
      assert.deepEqual(statuses, [401, 401, 401, 429, 429, 429, 429, 429]);
    });
  });
}
