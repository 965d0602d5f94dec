// Bad input of every kind gets a 4xx with a stable code, and leaves nothing half-written.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

function unsignedJwt(payload: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(payload)}.`;
}

for (const dbKind of testDatabases()) {
  describe(`bad input is refused with a coded 4xx (${dbKind})`, () => {
    let t: TestServer;
    let admin: string;
    let nowMs = Date.now();
    const clock = { now: () => nowMs };

    before(async () => {
      t = await startTestServer(
        dbKind,
        { UTOPIA_LOGIN_MAX_FAILURES: '3', UTOPIA_BODY_LIMIT_BYTES: '2048' },
        clock,
      );
      admin = await t.adminToken();
    });
    after(() => t.close());

    async function userCount(): Promise<number> {
      const res = await t.api('GET', '/api/users', { token: admin });
      return (res.json.items as unknown[]).length;
    }

    test('malformed JSON → 400 VALIDATION_FAILED, nothing written', async () => {
      const before = await userCount();
      const res = await t.api('POST', '/api/users', {
        token: admin,
        raw: '{"username": "x", ',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(res.status, 400);
      assert.equal(res.json.code, 'VALIDATION_FAILED');
      assert.equal(await userCount(), before);
    });

    test('wrong types → 400 naming the field, no coercion', async () => {
      const res = await t.api('POST', '/api/users', {
        token: admin,
        body: { username: 'typed', password: 'password-123', gpuQuota: '4' },
      });
      assert.equal(res.status, 400);
      assert.equal(res.json.code, 'VALIDATION_FAILED');
      assert.deepEqual(
        (res.json.details as { field: string }[]).map((d) => d.field),
        ['gpuQuota'],
      );
      assert.equal((await t.api('GET', '/api/users', { token: admin })).body !== null, true);
      const list = await t.api('GET', '/api/users', { token: admin });
      assert.ok(!(list.json.items as { username: string }[]).some((u) => u.username === 'typed'));
    });

    test('unknown fields → 400 naming the field', async () => {
      const res = await t.api('POST', '/api/users', {
        token: admin,
        body: { username: 'extra', password: 'password-123', isRoot: true },
      });
      assert.equal(res.status, 400);
      assert.equal(res.json.code, 'VALIDATION_FAILED');
      assert.match(String(res.json.message), /isRoot is not a known field/);
    });

    test('missing required field → 400', async () => {
      const res = await t.api('POST', '/api/users', { token: admin, body: { username: 'nopass' } });
      assert.equal(res.status, 400);
      assert.deepEqual(
        (res.json.details as { field: string }[]).map((d) => d.field),
        ['password'],
      );
    });

    test('oversized body → 413 PAYLOAD_TOO_LARGE', async () => {
      const res = await t.api('POST', '/api/users', {
        token: admin,
        body: { username: 'big', password: 'x'.repeat(5000) },
      });
      assert.equal(res.status, 413);
      assert.equal(res.json.code, 'PAYLOAD_TOO_LARGE');
    });

    test('non-JSON content type → 415', async () => {
      const res = await t.api('POST', '/api/users', {
        token: admin,
        raw: 'username=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      assert.equal(res.status, 415);
      assert.equal(res.json.code, 'UNSUPPORTED_MEDIA_TYPE');
    });

    test('duplicate username → 409 CONFLICT', async () => {
      const body = { username: 'twice', password: 'password-123' };
      assert.equal((await t.api('POST', '/api/users', { token: admin, body })).status, 201);
      const res = await t.api('POST', '/api/users', { token: admin, body });
      assert.equal(res.status, 409);
      assert.equal(res.json.code, 'CONFLICT');
    });

    test('tampered JWT → 401', async () => {
      const [h, p, s] = admin.split('.');
      const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString());
      const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url')}.${s}`;
      const res = await t.api('GET', '/api/auth/me', { token: forged });
      assert.equal(res.status, 401);
      assert.equal(res.json.code, 'UNAUTHENTICATED');
    });

    test('JWT with alg none → 401', async () => {
      const me = await t.api('GET', '/api/auth/me', { token: admin });
      const token = unsignedJwt({
        sub: me.json.id,
        iss: 'utopia-server',
        aud: 'utopia-api',
        exp: 9999999999,
      });
      const res = await t.api('GET', '/api/auth/me', { token });
      assert.equal(res.status, 401);
    });

    test('JWT signed with another key → 401', async () => {
      const me = await t.api('GET', '/api/auth/me', { token: admin });
      const token = await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(String(me.json.id))
        .setIssuer('utopia-server')
        .setAudience('utopia-api')
        .setExpirationTime('1h')
        .sign(new Uint8Array(32).fill(7));
      assert.equal((await t.api('GET', '/api/auth/me', { token })).status, 401);
    });

    test('expired JWT → 401', async () => {
      const token = await t.login('admin', 'admin-password-for-tests');
      assert.equal((await t.api('GET', '/api/auth/me', { token })).status, 200);
      nowMs += 3601_000;
      try {
        const res = await t.api('GET', '/api/auth/me', { token });
        assert.equal(res.status, 401);
        assert.equal(res.json.code, 'UNAUTHENTICATED');
      } finally {
        nowMs -= 3601_000;
      }
    });

    test('revoked API token → 401; disabled user → 401', async () => {
      const user = await t.createUser('revoker');
      const created = await t.api('POST', '/api/auth/tokens', {
        token: user.token,
        body: { name: 'cli' },
      });
      const apiToken = String(created.json.token);
      assert.match(apiToken, /^utp_/);
      assert.equal((await t.api('GET', '/api/auth/me', { token: apiToken })).status, 200);
      const id = (created.json.apiToken as { id: string }).id;
      assert.equal(
        (await t.api('DELETE', `/api/auth/tokens/${id}`, { token: user.token })).status,
        204,
      );
      assert.equal((await t.api('GET', '/api/auth/me', { token: apiToken })).status, 401);
      const listed = await t.api('GET', '/api/auth/tokens', { token: user.token });
      assert.deepEqual(
        (listed.json.items as { revoked: boolean }[]).map((i) => i.revoked),
        [true],
      );
      await t.api('PATCH', `/api/users/${user.id}`, { token: admin, body: { disabled: true } });
      assert.equal((await t.api('GET', '/api/auth/me', { token: user.token })).status, 401);
    });

    test('API token with a wrong secret → 401', async () => {
      const created = await t.api('POST', '/api/auth/tokens', {
        token: admin,
        body: { name: 'x' },
      });
      const token = String(created.json.token).replace(
        /\.(.)/,
        (_m, c: string) => `.${c === 'a' ? 'b' : 'a'}`,
      );
      assert.equal((await t.api('GET', '/api/auth/me', { token })).status, 401);
    });

    test('wrong passwords → 401, then the per-user rate limit → 429', async () => {
      await t.createUser('guessme');
      for (let i = 0; i < 3; i++) {
        const res = await t.api('POST', '/api/auth/login', {
          body: { username: 'guessme', password: 'wrong-one' },
        });
        assert.equal(res.status, 401);
        assert.equal(res.json.code, 'UNAUTHENTICATED');
      }
      const limited = await t.api('POST', '/api/auth/login', {
        body: { username: 'guessme', password: 'guessme-password' },
      });
      assert.equal(limited.status, 429);
      assert.equal(limited.json.code, 'RATE_LIMITED');
    });

    test('an admin cannot lock themselves out', async () => {
      const me = await t.api('GET', '/api/auth/me', { token: admin });
      const res = await t.api('PATCH', `/api/users/${String(me.json.id)}`, {
        token: admin,
        body: { disabled: true },
      });
      assert.equal(res.status, 409);
    });

    test('unknown route → 404 NOT_FOUND in the same shape', async () => {
      const res = await t.api('GET', '/api/nope');
      assert.equal(res.status, 404);
      assert.equal(res.json.code, 'NOT_FOUND');
    });
  });
}

describe('login rate limit per address', () => {
  test('too many attempts from one address → 429 even across usernames', async () => {
    const t = await startTestServer('sqlite', { UTOPIA_LOGIN_MAX_PER_ADDRESS: '4' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await t.api('POST', '/api/auth/login', {
          body: { username: `u${i}`, password: 'nope-nope' },
        });
        statuses.push(res.status);
      }
      assert.deepEqual(statuses, [401, 401, 401, 401, 429, 429]);
    } finally {
      await t.close();
    }
  });
});
