// The OpenAPI document tells the truth about the server: who needs no credential, every status a
// route can answer, the key patterns of env and labels, the content type of /metrics; and the
// server answers what HTTP says for wrong methods, media types and overlong URLs.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { isWebUiRoute } from '../web/web-ui.routes.js';

interface Operation {
  'x-access'?: string;
  security?: unknown[];
  parameters?: { in: string }[];
  requestBody?: unknown;
  responses: Record<string, { content?: Record<string, unknown> }>;
}
type Paths = Record<string, Record<string, Operation>>;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function at(v: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((o, k) => (isRecord(o) ? o[k] : undefined), v);
}

function bodyProperties(op: Operation | undefined): unknown {
  return at(op?.requestBody, 'content', 'application/json', 'schema', 'properties');
}

/** send is used for methods fetch refuses to send (TRACE). */
function send(
  method: string,
  url: string,
  token: string,
): Promise<{ status: number; allow: string | undefined; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        const parsed: unknown = text === '' ? {} : JSON.parse(text);
        resolve({
          status: res.statusCode ?? 0,
          allow: res.headers.allow,
          body: isRecord(parsed) ? parsed : {},
        });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('OpenAPI document and HTTP semantics', () => {
  let t: TestServer;
  let admin: string;
  let paths: Paths;
  before(async () => {
    t = await startTestServer('sqlite');
    admin = await t.adminToken();
    paths = (await t.api('GET', '/api/openapi.json')).json.paths as Paths;
  });
  after(() => t.close());

  function operations(): { label: string; access: string; op: Operation }[] {
    return t.server.built.routes
      .filter(
        (r) => !r.url.startsWith('/docs') && r.url !== '/api/openapi.json' && !isWebUiRoute(r.url),
      )
      .map((r) => {
        const op = paths[r.url.replace(/:(\w+)/g, '{$1}')]?.[r.method.toLowerCase()];
        assert.ok(op, `${r.method} ${r.url} is in the document`);
        return { label: `${r.method} ${r.url}`, access: r.access, op };
      });
  }

  test('public routes need no credential; every other route needs a bearer token', () => {
    const publicOps = operations().filter((o) => o.access === 'public');
    assert.deepEqual(publicOps.map((o) => o.label).sort(), [
      'GET /api/version',
      'GET /healthz',
      'GET /readyz',
      'POST /api/auth/login',
      'POST /api/nodes/register',
      'POST /api/tunnel/frp-plugin/:key',
    ]);
    for (const { label, access, op } of operations()) {
      assert.equal(op['x-access'], access, `${label} says who may call it`);
      if (access === 'public') assert.deepEqual(op.security, [], label);
      else assert.equal(op.security, undefined, `${label} keeps the global bearer requirement`);
    }
  });

  test('every route documents the statuses its shape can answer', () => {
    for (const { label, access, op } of operations()) {
      const documented = Object.keys(op.responses);
      const need = ['500'];
      if (op.parameters?.some((p) => p.in === 'path')) need.push('400', '414');
      if (op.parameters?.some((p) => p.in === 'query')) need.push('400');
      if (op.requestBody !== undefined) need.push('400', '413', '415');
      if (access !== 'public') need.push('401', '403', '503');
      for (const s of need) assert.ok(documented.includes(s), `${label} documents ${s}`);
    }
  });

  test('env, labels and nodeSelector keep their key patterns', () => {
    const body = at(bodyProperties(paths['/api/gpu-claims']?.post), 'spec', 'properties');
    assert.match(
      String(at(body, 'env', 'propertyNames', 'pattern')),
      /\[A-Za-z_\]\[A-Za-z0-9_\]\*\$$/,
    );
    assert.match(String(at(body, 'nodeSelector', 'propertyNames', 'pattern')), /^\^\[A-Za-z0-9\]/);
    const patch = bodyProperties(paths['/api/nodes/{id}']?.patch);
    assert.match(String(at(patch, 'labels', 'propertyNames', 'pattern')), /^\^\[A-Za-z0-9\]/);
  });

  test('a label key the published pattern refuses is refused, naming the key', async () => {
    const jt = await t.api('POST', '/api/join-tokens', { token: admin, body: {} });
    const reg = await t.api('POST', '/api/nodes/register', {
      body: {
        joinToken: String(jt.json.token),
        hostname: 'n1',
        machineId: '',
        agentVersion: '1',
        address: 'http://127.0.0.1:9',
        gpus: [],
      },
    });
    const res = await t.api('PATCH', `/api/nodes/${String(reg.json.nodeId)}`, {
      token: admin,
      body: { labels: { '': 'x' } },
    });
    assert.equal(res.status, 400);
    assert.deepEqual(
      (res.json.details as { field: string }[]).map((d) => d.field),
      ['labels.'],
    );
  });

  test('/metrics documents the content type it answers with', async () => {
    const res = await t.api('GET', '/metrics', { token: admin });
    assert.equal(res.status, 200);
    const contentType = res.headers.get('content-type') ?? '';
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.deepEqual(Object.keys(paths['/metrics']?.get?.responses['200']?.content ?? {}), [
      contentType,
    ]);
  });

  test('a wrong method on a known path → 405 with Allow', async () => {
    for (const [method, path, allow] of [
      ['TRACE', '/api/users', 'GET, HEAD, POST'],
      ['DELETE', '/api/users', 'GET, HEAD, POST'],
      ['OPTIONS', '/api/gpu-claims/abc', 'DELETE, GET, HEAD'],
      ['POST', '/api/nodes/self', 'PUT'],
      ['PUT', '/healthz', 'GET, HEAD'],
    ] as const) {
      const res = await send(method, `${t.url}${path}`, admin);
      assert.equal(res.status, 405, `${method} ${path}`);
      assert.equal(res.body.code, 'METHOD_NOT_ALLOWED');
      assert.equal(res.allow, allow, `${method} ${path}`);
    }
    assert.equal((await send('TRACE', `${t.url}/api/nope`, admin)).status, 404);
  });

  test('a body that is not JSON → 415, whatever its type', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const res = await t.api('POST', '/api/users', {
        token: admin,
        raw: 'username=x',
        headers: { 'content-type': type },
      });
      assert.equal(res.status, 415, type);
      assert.equal(res.json.code, 'UNSUPPORTED_MEDIA_TYPE');
    }
  });

  test('an id past the router limit → 414 URI_TOO_LONG; past the schema limit → 400', async () => {
    const long = await t.api('GET', `/api/users/${'a'.repeat(300)}`, { token: admin });
    assert.equal(long.status, 414);
    assert.equal(long.json.code, 'URI_TOO_LONG');
    const over = await t.api('GET', `/api/users/${'a'.repeat(65)}`, { token: admin });
    assert.equal(over.status, 400);
    assert.equal(over.json.code, 'VALIDATION_FAILED');
  });

  test('any cursor of the documented shape pages the list; another shape → 400', async () => {
    const made = await t.api('GET', '/api/gpu-claims?cursor=2999-01-01T00:00:00.000Z~zz', {
      token: admin,
    });
    assert.equal(made.status, 200, JSON.stringify(made.json));
    const bad = await t.api('GET', '/api/gpu-claims?cursor=not-a-cursor', { token: admin });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      (bad.json.details as { field: string }[]).map((d) => d.field),
      ['querystring.cursor'],
    );
  });
});
