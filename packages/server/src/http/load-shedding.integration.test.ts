// Past the in-flight bound the API answers 503 + Retry-After at once; probes are never shed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from '../testing/harness.js';

describe('load shedding', () => {
  let t: TestServer;
  before(async () => {
    t = await startTestServer('sqlite', { UTOPIA_MAX_IN_FLIGHT_REQUESTS: '2' });
  });
  after(() => t.close());

  test('requests past the bound get 503 with Retry-After; the rest succeed', async () => {
    // A login takes about 90 ms of scrypt: twelve at once overlap, so most find two in progress.
    const answers = await Promise.all(
      Array.from({ length: 12 }, () =>
        t.api('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } }),
      ),
    );
    const statuses = answers.map((a) => a.status);
    assert.ok(statuses.filter((s) => s === 200).length >= 2, `some succeed: ${statuses.join()}`);
    const shed = answers.filter((a) => a.status === 503);
    assert.ok(shed.length >= 1, `some are shed: ${statuses.join()}`);
    for (const a of shed) {
      assert.equal(a.json.code, 'UNAVAILABLE');
      assert.match(a.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
    }
    assert.deepEqual([...new Set(statuses)].sort(), [200, 503]);
  });

  test('the count goes back down: afterwards requests pass again; probes never count', async () => {
    const token = await t.login('admin', ADMIN_PASSWORD);
    for (let i = 0; i < 5; i++)
      assert.equal((await t.api('GET', '/api/auth/me', { token })).status, 200);
    const slow = Array.from({ length: 4 }, () =>
      t.api('POST', '/api/auth/login', { body: { username: 'admin', password: ADMIN_PASSWORD } }),
    );
    assert.equal((await t.api('GET', '/healthz')).status, 200);
    assert.equal((await t.api('GET', '/readyz')).status, 200);
    await Promise.all(slow);
  });
});
