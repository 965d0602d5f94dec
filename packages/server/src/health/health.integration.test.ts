import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

for (const dbKind of testDatabases()) {
  describe(`health and OpenAPI (${dbKind})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer(dbKind);
    });
    after(() => t.close());

    test('/healthz and /readyz answer 200 once migrated', async () => {
      assert.deepEqual((await t.api('GET', '/healthz')).body, { status: 'ok' });
      assert.deepEqual((await t.api('GET', '/readyz')).body, { status: 'ready' });
    });

    test('the OpenAPI document lists every API route with its schemas', async () => {
      const res = await t.api('GET', '/api/openapi.json');
      assert.equal(res.status, 200);
      const paths = res.json.paths as Record<
        string,
        Record<string, { responses: Record<string, unknown> }>
      >;
      for (const r of t.server.built.routes.filter(
        (x) => x.url.startsWith('/api/') && x.url !== '/api/openapi.json',
      )) {
        const openapiUrl = r.url.replace(/:(\w+)/g, '{$1}');
        const op = paths[openapiUrl]?.[r.method.toLowerCase()];
        assert.ok(op, `${r.method} ${r.url} missing from OpenAPI`);
        assert.ok(
          Object.keys(op.responses).length >= 2,
          `${r.method} ${r.url} documents its errors`,
        );
      }
    });

    test('login, then /api/auth/me answers the user', async () => {
      const token = await t.adminToken();
      const me = await t.api('GET', '/api/auth/me', { token });
      assert.equal(me.status, 200);
      assert.equal(me.json.username, 'admin');
      assert.equal(me.json.role, 'admin');
      assert.equal('password_hash' in me.json, false);
    });
  });
}
