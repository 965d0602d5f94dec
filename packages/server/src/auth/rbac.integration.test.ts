// Every route, driven as anonymous, as a `user` and as an `admin`: the allowed/denied outcome of
// each is asserted from one table. A new route fails the coverage check until it joins the table.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

type Caller = 'anonymous' | 'user' | 'admin';

interface RouteCase {
  method: string;
  url: string;
  /** Expected status per caller; 401/403 are denials, anything else means allowed. */
  expect: Record<Caller, number>;
  path?: (ids: Ids) => string;
  body?: (caller: Caller) => unknown;
}

interface Ids {
  userId: string;
  tokenIds: Record<Caller, string>;
}

const ANY_USER = { anonymous: 401, user: 200, admin: 200 };
const ADMIN_ONLY = { anonymous: 401, user: 403, admin: 200 };
const PUBLIC = { anonymous: 200, user: 200, admin: 200 };

const TABLE: RouteCase[] = [
  { method: 'GET', url: '/healthz', expect: PUBLIC },
  { method: 'GET', url: '/readyz', expect: PUBLIC },
  { method: 'GET', url: '/api/openapi.json', expect: PUBLIC },
  { method: 'GET', url: '/docs', expect: PUBLIC },
  { method: 'GET', url: '/docs/static/index.html', expect: PUBLIC },
  { method: 'GET', url: '/docs/static/swagger-initializer.js', expect: PUBLIC },
  {
    method: 'GET',
    url: '/docs/static/*',
    path: () => '/docs/static/swagger-ui.css',
    expect: PUBLIC,
  },
  { method: 'GET', url: '/docs/json', expect: PUBLIC },
  { method: 'GET', url: '/docs/yaml', expect: PUBLIC },
  {
    method: 'POST',
    url: '/api/auth/login',
    body: () => ({ username: 'nobody', password: 'wrong-password' }),
    expect: { anonymous: 401, user: 401, admin: 401 }, // public route; wrong credentials are a 401 for all
  },
  { method: 'GET', url: '/api/auth/me', expect: ANY_USER },
  {
    method: 'PUT',
    url: '/api/auth/password',
    body: () => ({ currentPassword: 'not-the-password', newPassword: 'new-password-1' }),
    expect: { anonymous: 401, user: 400, admin: 400 }, // allowed, then refused for the wrong current password
  },
  { method: 'GET', url: '/api/auth/tokens', expect: ANY_USER },
  {
    method: 'POST',
    url: '/api/auth/tokens',
    body: () => ({ name: 'ci' }),
    expect: { anonymous: 401, user: 201, admin: 201 },
  },
  {
    method: 'DELETE',
    url: '/api/auth/tokens/:id',
    path: (ids) => `/api/auth/tokens/${ids.tokenIds.user}`,
    // Only the owner may revoke: the admin gets 404, as if the token did not exist.
    expect: { anonymous: 401, user: 204, admin: 404 },
  },
  { method: 'GET', url: '/api/users', expect: ADMIN_ONLY },
  {
    method: 'POST',
    url: '/api/users',
    body: (caller) => ({ username: `made-by-${caller}`, password: 'password-123' }),
    expect: { anonymous: 401, user: 403, admin: 201 },
  },
  {
    method: 'GET',
    url: '/api/users/:id',
    path: (ids) => `/api/users/${ids.userId}`,
    expect: ADMIN_ONLY,
  },
  {
    method: 'PATCH',
    url: '/api/users/:id',
    path: (ids) => `/api/users/${ids.userId}`,
    body: () => ({ gpuQuota: 8 }),
    expect: ADMIN_ONLY,
  },
];

for (const dbKind of testDatabases()) {
  describe(`access rules of every route (${dbKind})`, () => {
    let t: TestServer;
    const tokens: Partial<Record<Caller, string>> = {};
    let ids: Ids;

    before(async () => {
      t = await startTestServer(dbKind);
      const user = await t.createUser('rbac-user');
      tokens.user = user.token;
      tokens.admin = await t.adminToken();
      const tokenIds: Record<Caller, string> = { anonymous: 'none', user: '', admin: '' };
      for (const caller of ['user', 'admin'] as const) {
        const res = await t.api('POST', '/api/auth/tokens', {
          token: tokens[caller],
          body: { name: 'x' },
        });
        tokenIds[caller] = String((res.json.apiToken as { id: string }).id);
      }
      ids = { userId: user.id, tokenIds };
    });
    after(() => t.close());

    test('the table covers every registered route', () => {
      const registered = t.server.built.routes.map((r) => `${r.method} ${r.url}`).sort();
      const covered = TABLE.map((c) => `${c.method} ${c.url}`).sort();
      assert.deepEqual(covered, registered);
    });

    for (const c of TABLE) {
      for (const caller of ['anonymous', 'user', 'admin'] as const) {
        test(`${c.method} ${c.url} as ${caller} → ${c.expect[caller]}`, async () => {
          const path = c.path ? c.path(ids) : c.url;
          const opts: { token?: string; body?: unknown } = {};
          const token = tokens[caller as 'user' | 'admin'];
          if (caller !== 'anonymous' && token) opts.token = token;
          if (c.body) opts.body = c.body(caller);
          const res = await t.api(c.method, path, opts);
          assert.equal(res.status, c.expect[caller], JSON.stringify(res.body).slice(0, 300));
          if (res.status === 401) assert.equal(res.json.code, 'UNAUTHENTICATED');
          if (res.status === 403) assert.equal(res.json.code, 'FORBIDDEN');
        });
      }
    }
  });
}
