// NUL characters and lone UTF-16 surrogates are refused at validation, in every part of a request
// (body, query string, path), with 400 VALIDATION_FAILED naming the field: they never reach the
// database or Docker.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

const NUL = 'a\u0000b';
const LONE_HIGH = 'a\uD800b';
const LONE_LOW = '\uDC00';
const SPEC = { image: 'busybox:latest', resources: { gpuCount: 1 } };

for (const dbKind of testDatabases()) {
  describe(`NUL and lone surrogates are refused (${dbKind})`, () => {
    let t: TestServer;
    let admin: string;
    before(async () => {
      t = await startTestServer(dbKind);
      admin = await t.adminToken();
    });
    after(() => t.close());

    function assertRefused(
      res: { status: number; json: Record<string, unknown> },
      field: string,
      freeText = true,
    ) {
      assert.equal(res.status, 400, JSON.stringify(res.json));
      assert.equal(res.json.code, 'VALIDATION_FAILED');
      const details = res.json.details as { field: string; message: string }[];
      assert.deepEqual(
        details.map((d) => d.field),
        [field],
      );
      // Free text says why; a field with its own pattern (an id, a username) says which pattern.
      if (freeText)
        assert.match(
          String(res.json.message),
          /must not contain NUL characters or lone surrogates/,
        );
    }

    const claimCases: [string, unknown, string][] = [
      ['NUL in a command item', { spec: { ...SPEC, command: ['sh', NUL] } }, 'spec.command.1'],
      [
        'lone surrogate in a command item',
        { spec: { ...SPEC, command: [LONE_LOW] } },
        'spec.command.0',
      ],
      ['NUL in an env value', { spec: { ...SPEC, env: { A: NUL } } }, 'spec.env.A'],
      [
        'lone surrogate in an env value',
        { spec: { ...SPEC, env: { A: LONE_HIGH } } },
        'spec.env.A',
      ],
      [
        'lone surrogate in gpuModel',
        { spec: { ...SPEC, resources: { gpuCount: 1, gpuModel: LONE_HIGH } } },
        'spec.resources.gpuModel',
      ],
    ];
    for (const [what, body, field] of claimCases) {
      test(`${what} → 400 naming ${field}, nothing written`, async () => {
        assertRefused(await t.api('POST', '/api/gpu-claims', { token: admin, body }), field);
        const list = await t.api('GET', '/api/gpu-claims', { token: admin });
        assert.deepEqual(list.json.items, []);
      });
    }

    test('a paired surrogate (an emoji) and other control characters are fine', async () => {
      const res = await t.api('POST', '/api/gpu-claims', {
        token: admin,
        body: { spec: { ...SPEC, command: ['echo', '🚀\t\n\u0001'] } },
      });
      assert.equal(res.status, 201, JSON.stringify(res.json));
      const got = await t.api('GET', `/api/gpu-claims/${String(res.json.id)}`, { token: admin });
      assert.deepEqual((got.json.spec as { command: string[] }).command, ['echo', '🚀\t\n\u0001']);
      await t.api('DELETE', `/api/gpu-claims/${String(res.json.id)}`, { token: admin });
    });

    test('in other bodies: a password, a join-token description, a node hostname', async () => {
      assertRefused(
        await t.api('POST', '/api/users', {
          token: admin,
          body: { username: 'nul', password: `password${NUL}` },
        }),
        'password',
      );
      assertRefused(
        await t.api('POST', '/api/auth/login', { body: { username: LONE_HIGH, password: 'x' } }),
        'username',
      );
      assertRefused(
        await t.api('POST', '/api/join-tokens', { token: admin, body: { description: NUL } }),
        'description',
      );
      const jt = await t.api('POST', '/api/join-tokens', { token: admin, body: {} });
      const register = {
        joinToken: String(jt.json.token),
        hostname: LONE_HIGH,
        machineId: '',
        agentVersion: '1',
        address: 'http://127.0.0.1:9',
        gpus: [],
      };
      assertRefused(await t.api('POST', '/api/nodes/register', { body: register }), 'hostname');
      const nodes = await t.api('GET', '/api/nodes', { token: admin });
      assert.deepEqual(nodes.json.items, []);
    });

    test('in a query string and in a path parameter', async () => {
      assertRefused(
        await t.api('GET', '/api/gpu-claims?owner=a%00b', { token: admin }),
        'querystring.owner',
        false,
      );
      assertRefused(await t.api('GET', '/api/users/a%00b', { token: admin }), 'params.id', false);
      assertRefused(
        await t.api('POST', '/api/tunnel/frp-plugin/key?op=a%00b', { body: {} }),
        'querystring.op',
      );
      assertRefused(
        await t.api('POST', '/api/tunnel/frp-plugin/a%00b', { body: {} }),
        'params.key',
      );
    });

    test('a lone surrogate spelled as invalid UTF-8 in the URL → 400 in the same shape', async () => {
      const res = await t.api('GET', '/api/users/a%ED%A0%80b', { token: admin });
      assert.equal(res.status, 400);
      assert.equal(res.json.code, 'VALIDATION_FAILED');
    });
  });
}
