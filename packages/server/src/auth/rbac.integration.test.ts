// Every route, driven as anonymous, as a `user` and as an `admin`: the allowed/denied outcome of
// each is asserted from one table. A new route fails the coverage check until it joins the table.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';
import { registerApiNode } from '../testing/nodes-client.js';
import { openWatch } from '../testing/watch-client.js';

type Caller = 'anonymous' | 'user' | 'admin' | 'node';
const CALLERS: readonly Caller[] = ['anonymous', 'user', 'admin', 'node'];

interface RouteCase {
  method: string;
  url: string;
  /** Expected status per caller; 401/403 are denials, anything else means allowed. */
  expect: Record<Caller, number>;
  path?: (ids: Ids, caller: Caller) => string;
  body?: (caller: Caller, ids: Ids) => unknown;
  /** The error code of a 401 when it is not UNAUTHENTICATED. */
  code401?: string;
  /** A ?watch=1 stream: only its status is read, then it is closed. */
  watch?: boolean;
}

interface Ids {
  userId: string;
  nodeId: string;
  doomedNodeId: string;
  joinTokenId: string;
  tokenIds: Record<Caller, string>;
  claimIds: Record<Caller, string>;
  adminClaimId: string;
}

const ANY_USER = { anonymous: 401, user: 200, admin: 200, node: 403 };
const ADMIN_ONLY = { anonymous: 401, user: 403, admin: 200, node: 403 };
const PUBLIC = { anonymous: 200, user: 200, admin: 200, node: 200 };
const CLAIM = { image: 'busybox:latest', resources: { gpuCount: 1 }, nodeSelector: { never: 'x' } };

const TABLE: RouteCase[] = [
  { method: 'GET', url: '/healthz', expect: PUBLIC },
  { method: 'GET', url: '/api/version', expect: PUBLIC },
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
  // The web UI: the app's page for everyone (it holds no data), its assets by hashed name.
  { method: 'GET', url: '/', expect: PUBLIC },
  {
    method: 'GET',
    url: '/assets/*',
    path: () => '/assets/no-such-asset.js',
    expect: { anonymous: 404, user: 404, admin: 404, node: 404 },
  },
  {
    method: 'POST',
    url: '/api/auth/login',
    body: () => ({ username: 'nobody', password: 'wrong-password' }),
    expect: { anonymous: 401, user: 401, admin: 401, node: 401 }, // public; wrong credentials are a 401 for all
  },
  { method: 'GET', url: '/api/auth/me', expect: ANY_USER },
  {
    method: 'PUT',
    url: '/api/auth/password',
    body: () => ({ currentPassword: 'not-the-password', newPassword: 'new-password-1' }),
    expect: { anonymous: 401, user: 403, admin: 403, node: 403 }, // users: allowed, then refused: wrong current password
  },
  { method: 'GET', url: '/api/auth/tokens', expect: ANY_USER },
  {
    method: 'POST',
    url: '/api/auth/tokens',
    body: () => ({ name: 'ci' }),
    expect: { ...ANY_USER, user: 201, admin: 201 },
  },
  {
    method: 'DELETE',
    url: '/api/auth/tokens/:id',
    path: (ids) => `/api/auth/tokens/${ids.tokenIds.user}`,
    // Only the owner may revoke: the admin gets 404, as if the token did not exist.
    expect: { anonymous: 401, user: 204, admin: 404, node: 403 },
  },
  { method: 'GET', url: '/api/users', expect: ADMIN_ONLY },
  {
    method: 'POST',
    url: '/api/users',
    body: (caller) => ({ username: `made-by-${caller}`, password: 'password-123' }),
    expect: { ...ADMIN_ONLY, admin: 201 },
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
  { method: 'GET', url: '/api/join-tokens', expect: ADMIN_ONLY },
  {
    method: 'POST',
    url: '/api/join-tokens',
    body: () => ({ description: 'x' }),
    expect: { ...ADMIN_ONLY, admin: 201 },
  },
  {
    method: 'DELETE',
    url: '/api/join-tokens/:id',
    path: (ids) => `/api/join-tokens/${ids.joinTokenId}`,
    expect: { ...ADMIN_ONLY, admin: 204 },
  },
  {
    method: 'POST',
    url: '/api/nodes/register',
    body: () => ({
      joinToken: 'utj_nope.nope',
      hostname: 'h',
      machineId: '',
      agentVersion: '1',
      address: '',
      gpus: [],
    }),
    expect: { anonymous: 401, user: 401, admin: 401, node: 401 }, // public; the join token decides
    code401: 'JOIN_TOKEN_INVALID',
  },
  {
    method: 'PUT',
    url: '/api/nodes/self',
    body: () => ({
      hostname: 'rbac-node',
      agentVersion: '1',
      address: 'http://127.0.0.1:9',
      gpus: [{ index: 0, uuid: 'GPU-rbac-node', model: 'Test GPU', memoryTotalMiB: 1024 }],
    }),
    expect: { anonymous: 401, user: 403, admin: 403, node: 200 },
  },
  { method: 'GET', url: '/api/nodes', expect: ANY_USER },
  {
    method: 'GET',
    url: '/api/nodes',
    path: () => '/api/nodes?watch=1',
    watch: true,
    expect: ANY_USER,
  },
  {
    method: 'GET',
    url: '/api/nodes/:id',
    path: (ids) => `/api/nodes/${ids.nodeId}`,
    expect: ANY_USER,
  },
  {
    method: 'PATCH',
    url: '/api/nodes/:id',
    path: (ids) => `/api/nodes/${ids.nodeId}`,
    body: () => ({ labels: { rack: 'r1' } }),
    expect: ADMIN_ONLY,
  },
  {
    method: 'POST',
    url: '/api/nodes/:id/drain',
    path: (ids) => `/api/nodes/${ids.nodeId}/drain`,
    expect: ADMIN_ONLY,
  },
  {
    method: 'DELETE',
    url: '/api/nodes/:id',
    path: (ids) => `/api/nodes/${ids.doomedNodeId}`,
    expect: { ...ADMIN_ONLY, admin: 204 },
  },
  {
    method: 'POST',
    url: '/api/gpu-claims',
    body: () => ({ spec: CLAIM }),
    expect: { ...ANY_USER, user: 201, admin: 201 },
  },
  { method: 'GET', url: '/api/gpu-claims', expect: ANY_USER },
  {
    method: 'GET',
    url: '/api/gpu-claims',
    path: () => '/api/gpu-claims?watch=1',
    watch: true,
    expect: ANY_USER,
  },
  {
    method: 'GET',
    url: '/api/gpu-claims/:id',
    path: (ids) => `/api/gpu-claims/${ids.claimIds.user}`,
    expect: ANY_USER,
  },
  {
    method: 'GET',
    url: '/api/gpu-claims/:id',
    path: (ids) => `/api/gpu-claims/${ids.claimIds.user}?watch=1`,
    watch: true,
    expect: ANY_USER,
  },
  {
    method: 'GET',
    url: '/api/gpu-claims/:id',
    // Another user's claim: a watch of it is refused as if it did not exist.
    path: (ids) => `/api/gpu-claims/${ids.adminClaimId}?watch=1`,
    watch: true,
    expect: { anonymous: 401, user: 404, admin: 200, node: 403 },
  },
  {
    method: 'DELETE',
    url: '/api/gpu-claims/:id',
    // Each caller deletes a claim of the plain user: allowed for its owner and for admins.
    path: (ids, caller) => `/api/gpu-claims/${ids.claimIds[caller]}`,
    expect: { anonymous: 401, user: 202, admin: 202, node: 403 },
  },
  {
    method: 'GET',
    url: '/api/gpu-claims/:id/logs',
    // No agent runs here: a visible claim stays Pending, with no container to read (404
    // NO_CONTAINER); claim-logs.e2e.test.ts reads real ones.
    path: (ids) => `/api/gpu-claims/${ids.claimIds.user}/logs`,
    expect: { anonymous: 401, user: 404, admin: 404, node: 403 },
  },
  {
    method: 'GET',
    url: '/api/gpu-claims/:id/exec',
    // As logs: access is checked before the upgrade, and a Pending claim has no container.
    path: (ids) => `/api/gpu-claims/${ids.claimIds.user}/exec?command=true`,
    expect: { anonymous: 401, user: 404, admin: 404, node: 403 },
  },
  {
    method: 'GET',
    url: '/api/gpu-claims/:id/port-forward',
    // A WebSocket route: a plain GET that passes the access rule is 426 UPGRADE_REQUIRED;
    // port-forward.e2e.test.ts upgrades real ones.
    path: (ids) => `/api/gpu-claims/${ids.claimIds.user}/port-forward?port=22`,
    expect: { anonymous: 401, user: 426, admin: 426, node: 403 },
  },
  {
    method: 'POST',
    url: '/api/gpu-claims/:id/proxy-sessions',
    // The proxy is off in this server (503 for whoever may ask); proxy.e2e.test.ts opens real ones.
    path: (ids) => `/api/gpu-claims/${ids.claimIds.user}/proxy-sessions`,
    body: () => ({ port: 8888 }),
    expect: { anonymous: 401, user: 503, admin: 503, node: 403 },
  },
  { method: 'GET', url: '/api/volumes', expect: ANY_USER },
  {
    method: 'DELETE',
    url: '/api/volumes/:id',
    // No volume has this id: users and admins are let through, to a 404 (storage.e2e deletes real ones).
    path: () => '/api/volumes/no-such-volume',
    expect: { anonymous: 401, user: 404, admin: 404, node: 403 },
  },
  // Node events for every user, claim events for their owners (events.integration.test.ts).
  { method: 'GET', url: '/api/events', expect: ANY_USER },
  { method: 'GET', url: '/metrics', expect: ADMIN_ONLY },
  {
    method: 'POST',
    url: '/api/tunnel/frp-plugin/:key',
    // Public (frps calls it), but only with the server's secret key: anything else is a 404.
    path: () => '/api/tunnel/frp-plugin/not-the-key',
    body: () => ({ version: '0.1.0', op: 'Login', content: { user: 'x' } }),
    expect: { anonymous: 404, user: 404, admin: 404, node: 404 },
  },
];

// Test names for watch cases show the query; the ids in them are placeholders.
const FAKE_IDS: Ids = {
  userId: ':userId',
  nodeId: ':nodeId',
  doomedNodeId: ':doomed',
  joinTokenId: ':jt',
  tokenIds: { anonymous: '', user: '', admin: '', node: '' },
  claimIds: { anonymous: ':id', user: ':id', admin: ':id', node: ':id' },
  adminClaimId: ':adminClaimId',
};

// A stream that opens is closed at once; a refusal is read like any answer.
async function watchStatus(
  t: TestServer,
  path: string,
  token: string | undefined,
): Promise<{ status: number; body: unknown; json: Record<string, unknown> }> {
  const w = await openWatch(t, path, token === undefined ? {} : { token });
  if ('close' in w) {
    w.close();
    return { status: w.status, body: null, json: {} };
  }
  return { status: w.status, body: w.json, json: w.json };
}

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
      const node = await registerApiNode(t, tokens.admin, 'rbac-node');
      tokens.node = node.credential;
      const doomed = await registerApiNode(t, tokens.admin, 'doomed-node');
      const tokenIds: Record<Caller, string> = {
        anonymous: 'none',
        user: '',
        admin: '',
        node: 'none',
      };
      for (const caller of ['user', 'admin'] as const) {
        const res = await t.api('POST', '/api/auth/tokens', {
          token: tokens[caller],
          body: { name: 'x' },
        });
        tokenIds[caller] = String((res.json.apiToken as { id: string }).id);
      }
      const claimIds = { anonymous: '', user: '', admin: '', node: '' };
      for (const caller of CALLERS) {
        const res = await t.api('POST', '/api/gpu-claims', {
          token: user.token,
          body: { spec: CLAIM },
        });
        claimIds[caller] = String(res.json.id);
      }
      const adminClaim = await t.api('POST', '/api/gpu-claims', {
        token: tokens.admin,
        body: { spec: CLAIM },
      });
      const jt = await t.api('POST', '/api/join-tokens', { token: tokens.admin, body: {} });
      const joinTokenId = String((jt.json.joinToken as { id: string }).id);
      ids = {
        userId: user.id,
        nodeId: node.nodeId,
        doomedNodeId: doomed.nodeId,
        joinTokenId,
        tokenIds,
        claimIds,
        adminClaimId: String(adminClaim.json.id),
      };
    });
    after(() => t.close());

    test('the table covers every registered route', () => {
      const registered = t.server.built.routes.map((r) => `${r.method} ${r.url}`).sort();
      const covered = [...new Set(TABLE.map((c) => `${c.method} ${c.url}`))].sort();
      assert.deepEqual(covered, registered);
    });

    for (const c of TABLE) {
      for (const caller of CALLERS) {
        const name = c.watch ? `${c.method} ${c.path?.(FAKE_IDS, caller)}` : `${c.method} ${c.url}`;
        test(`${name} as ${caller} → ${c.expect[caller]}`, async () => {
          const path = c.path ? c.path(ids, caller) : c.url;
          const opts: { token?: string; body?: unknown } = {};
          const token = caller === 'anonymous' ? undefined : tokens[caller];
          if (token) opts.token = token;
          if (c.body) opts.body = c.body(caller, ids);
          const res = c.watch
            ? await watchStatus(t, path, token)
            : await t.api(c.method, path, opts);
          assert.equal(res.status, c.expect[caller], JSON.stringify(res.body).slice(0, 300));
          if (res.status === 401) assert.equal(res.json.code, c.code401 ?? 'UNAUTHENTICATED');
          if (res.status === 403) assert.equal(res.json.code, 'FORBIDDEN');
        });
      }
    }
  });
}
