// The agent client against a real HTTP server on 127.0.0.1 that answers whatever a test says:
// good answers, broken JSON, wrong shapes, cut connections.
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { after, before, test } from 'node:test';
import type { AgentContainerInfo, AgentMetricsResponse } from '@utopia/shared';
import {
  AgentCallError,
  AgentCallReason,
  createAgentClient,
  type AgentTarget,
} from './agent-client.js';

type Reply = (res: ServerResponse) => void;

const json =
  (body: unknown, status = 200): Reply =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

const CONTAINER: AgentContainerInfo = {
  id: 'c0ffee',
  claim_id: 'claim-1',
  image: 'busybox:latest',
  status: 'running',
  gpu_ids: [0, 1],
  ports: { '8888/tcp': '0.0.0.0:8888' },
  created: 1_700_000_000,
  started: 1_700_000_001,
  labels: { 'utopia.claim-id': 'claim-1' },
  exit_code: null,
  finished: null,
  error: null,
};

const METRICS: AgentMetricsResponse = {
  node_id: 'node-1',
  cpu_usage_percent: 12.5,
  memory_usage_percent: 40,
  gpus: [],
  system: {
    cpu_usage_percent: 12.5,
    memory_usage_percent: 40,
    memory_total_mb: 1024,
    memory_used_mb: 410,
    disk_usage_percent: 10,
    load_average: [0.1, 0.2, 0.3],
    uptime: 100,
  },
};

// `METHOD /path` → how the fake agent answers it; each test sets the routes it needs.
const routes = new Map<string, Reply>();
let server: Server;
let target: AgentTarget;
const client = createAgentClient({ timeoutMs: 2000 });

before(async () => {
  server = createServer((req, res) => {
    const reply = routes.get(`${req.method} ${req.url}`);
    req.resume();
    if (reply) reply(res);
    else json({ error: 'no route', code: 404, reason: 'NOT_FOUND', permanent: false }, 404)(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  target = { nodeId: 'node-1', baseUrl: `http://127.0.0.1:${address.port}`, token: 'agent-token' };
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** rejectsWith is used to assert the client's coded error: reason, transient or not, status. */
async function rejectsWith(
  call: Promise<unknown>,
  want: { reason: string; permanent: boolean; status?: number; message?: RegExp },
): Promise<void> {
  await assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof AgentCallError, String(err));
    assert.equal(err.reason, want.reason, err.message);
    assert.equal(err.permanent, want.permanent, err.message);
    if (want.status !== undefined) assert.equal(err.status, want.status);
    if (want.message) assert.match(err.message, want.message);
    return true;
  });
}

test('answers that match the agent API come back typed; unknown extra fields are dropped', async () => {
  routes.clear();
  routes.set('GET /api/v1/containers', json([{ ...CONTAINER, added_later: 'x' }]));
  routes.set('GET /api/v1/containers/c0ffee', json(CONTAINER));
  routes.set('GET /api/v1/metrics', json(METRICS));
  routes.set('POST /api/v1/containers', json({ container_id: 'c0ffee' }, 201));
  routes.set('DELETE /api/v1/containers/c0ffee', (res) => res.writeHead(204).end());

  assert.deepEqual(await client.listContainers(target), [CONTAINER]);
  assert.deepEqual(await client.getContainer(target, 'c0ffee'), CONTAINER);
  assert.equal(await client.getContainer(target, 'missing'), undefined);
  assert.deepEqual(await client.metrics(target), METRICS);
  assert.deepEqual(
    await client.createContainer(target, { claim_id: 'claim-1', image: 'busybox:latest' }),
    { containerId: 'c0ffee', created: true },
  );
  await client.deleteContainer(target, 'c0ffee');
});

test('a success status with a body that breaks the agent API is a transient BAD_AGENT_RESPONSE', async () => {
  const { gpu_ids: _dropped, ...withoutGpus } = CONTAINER;
  const cases: Array<[string, Reply, () => Promise<unknown>, RegExp]> = [
    ['GET /api/v1/containers', json('<html>'), () => client.listContainers(target), /not JSON/],
    [
      'GET /api/v1/containers',
      json('[{"id": "c0'),
      () => client.listContainers(target),
      /not JSON/,
    ],
    ['GET /api/v1/containers', json({ items: [] }), () => client.listContainers(target), /array/i],
    ['GET /api/v1/containers', json(null), () => client.listContainers(target), /array/i],
    [
      'GET /api/v1/containers',
      json([{ ...CONTAINER, gpu_ids: '0,1' }]),
      () => client.listContainers(target),
      /\/0\/gpu_ids/,
    ],
    [
      'GET /api/v1/containers/c0ffee',
      json(withoutGpus),
      () => client.getContainer(target, 'c0ffee'),
      /gpu_ids/,
    ],
    [
      'GET /api/v1/containers/c0ffee',
      json({ ...CONTAINER, exit_code: 'zero' }),
      () => client.getContainer(target, 'c0ffee'),
      /exit_code/,
    ],
    [
      'GET /api/v1/metrics',
      json({ ...METRICS, node_id: 7 }),
      () => client.metrics(target),
      /node_id/,
    ],
    [
      'GET /api/v1/metrics',
      json({ ...METRICS, system: undefined }),
      () => client.metrics(target),
      /system/,
    ],
    [
      'POST /api/v1/containers',
      json({ id: 'c0ffee' }, 201),
      () => client.createContainer(target, { claim_id: 'claim-1', image: 'busybox:latest' }),
      /container_id/,
    ],
    [
      'POST /api/v1/containers',
      json('', 200),
      () => client.createContainer(target, { claim_id: 'claim-1', image: 'busybox:latest' }),
      /Expected object/,
    ],
  ];
  for (const [route, reply, call, problem] of cases) {
    routes.clear();
    routes.set(route, reply);
    await rejectsWith(call(), {
      reason: AgentCallReason.BadAgentResponse,
      permanent: false,
      status: route.startsWith('POST') && problem.source === 'container_id' ? 201 : 200,
      message: new RegExp(
        `on node node-1: the agent's answer does not match its API .*${problem.source}`,
      ),
    });
  }
});

test('error answers keep their reasons, whatever their body', async () => {
  const create = (): Promise<unknown> =>
    client.createContainer(target, { claim_id: 'claim-1', image: 'nope:latest' });
  const cases: Array<[Reply, { reason: string; permanent: boolean; status: number }]> = [
    [
      json({ error: 'no such image', code: 404, reason: 'IMAGE_NOT_FOUND', permanent: true }, 404),
      { reason: 'IMAGE_NOT_FOUND', permanent: true, status: 404 },
    ],
    [json('<html>bad gateway</html>', 502), { reason: 'HTTP_502', permanent: false, status: 502 }],
    [json([1, 2, 3], 400), { reason: 'HTTP_400', permanent: false, status: 400 }],
  ];
  for (const [reply, want] of cases) {
    routes.clear();
    routes.set('POST /api/v1/containers', reply);
    await rejectsWith(create(), want);
  }
});

test('a connection cut halfway through the body is UNREACHABLE, not a crash', async () => {
  routes.clear();
  routes.set('GET /api/v1/containers', (res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    res.write('[{"id": "c0');
    setTimeout(() => res.destroy(), 20);
  });
  await rejectsWith(client.listContainers(target), {
    reason: AgentCallReason.Unreachable,
    permanent: false,
  });
});
