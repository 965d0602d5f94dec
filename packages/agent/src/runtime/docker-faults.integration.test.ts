// Docker failures classified by cause, with the REAL Docker Engine behind a fault-injecting proxy:
// what a dockerd restart looks like (5xx, cut connections, no socket) is transient (503
// DOCKER_UNAVAILABLE); what no retry can fix is permanent (4xx with its reason).
import { after, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_IMAGE } from '../test-support/docker-env.js';
import { DockerFaultProxy } from '../test-support/docker-fault-proxy.js';
import { useDockerSuite } from '../test-support/docker-suite.js';
import { errorOf, field } from '../test-support/json-field.js';
import type { TestAgent } from '../test-support/test-agent.js';

const UNAVAILABLE = { reason: 'DOCKER_UNAVAILABLE', permanent: false };

describe('Docker failures through a fault proxy in front of a real Docker Engine', () => {
  let proxy: DockerFaultProxy;
  let a: TestAgent;
  const suite = useDockerSuite(async (s) => {
    proxy = new DockerFaultProxy(s.socketPath);
    await proxy.listen();
    a = await s.agent({ socketPath: proxy.socketPath });
  });
  const claim = (name: string): string => `f${suite.runId}-${name}`;

  beforeEach(() => {
    proxy.rule = () => undefined;
  });

  // Runs after the suite's own after(), which has closed the agents by then.
  after(async () => {
    await proxy?.close();
  });

  const create = (name: string): ReturnType<TestAgent['call']> =>
    a.call('POST', '/api/v1/containers', {
      body: { claim_id: claim(name), image: TEST_IMAGE, gpu_ids: [0], command: ['sleep', '300'] },
    });

  test('Docker answering 500 (dockerd restarting) is transient: 503, and the retry succeeds', async () => {
    proxy.rule = (method, path) =>
      method === 'POST' && path === '/containers/create'
        ? { status: 500, message: 'Error response from daemon: dockerd is restarting' }
        : undefined;
    const failed = await create('restart');
    assert.equal(failed.status, 503, failed.text);
    assert.deepEqual(errorOf(failed.json), UNAVAILABLE);
    assert.match(String(field(failed.json, 'error')), /answered 500: .*dockerd is restarting/);

    proxy.rule = (_method, path) =>
      path === '/containers/json' ? { status: 503, message: 'service unavailable' } : undefined;
    const list = await a.call('GET', '/api/v1/containers');
    assert.equal(list.status, 503, list.text);
    assert.deepEqual(errorOf(list.json), UNAVAILABLE);

    proxy.rule = () => undefined;
    const retried = await create('restart');
    assert.equal(retried.status, 201, retried.text);
    await a.call('DELETE', `/api/v1/containers/claim:${claim('restart')}`);
  });

  test('a connection cut by the Engine is transient, and the half-made container is removed', async () => {
    proxy.rule = (method, path) =>
      method === 'POST' && /^\/containers\/[0-9a-f]+\/start$/.test(path) ? 'reset' : undefined;
    const cut = await create('cut');
    assert.equal(cut.status, 503, cut.text);
    assert.deepEqual(errorOf(cut.json), UNAVAILABLE);
    const left = await suite.docker.listContainers({
      all: true,
      filters: { label: [`utopia.claim_id=${claim('cut')}`] },
    });
    assert.deepEqual(left, []);
  });

  test(
    'a connection cut in the middle of an answer is transient too, not a call that never ends',
    { timeout: 30_000 },
    async () => {
      const b = await suite.agent({ socketPath: proxy.socketPath, dockerCallTimeoutMs: 1500 });
      proxy.rule = (method, path) =>
        method === 'GET' && path === '/containers/json' ? 'cut-answer' : undefined;
      const started = Date.now();
      const list = await b.call('GET', '/api/v1/containers');
      assert.equal(list.status, 503, list.text);
      assert.deepEqual(errorOf(list.json), UNAVAILABLE);
      assert.match(String(field(list.json, 'error')), /did not answer within 1\.5s/);
      assert.ok(Date.now() - started < 10_000);
      // The claim's lock is not held for good: once Docker answers again, so does the agent.
      proxy.rule = (method, path) =>
        method === 'POST' && path === '/containers/create' ? 'cut-answer' : undefined;
      const body = { claim_id: claim('cut-answer'), image: TEST_IMAGE, command: ['sleep', '300'] };
      const cut = await b.call('POST', '/api/v1/containers', { body });
      assert.equal(cut.status, 503, cut.text);
      proxy.rule = () => undefined;
      const again = await b.call('POST', '/api/v1/containers', { body });
      assert.equal(again.status, 201, again.text);
    },
  );

  test('a pull that fails while Docker answers is permanent; a lost Engine during a pull is not', async () => {
    const image = `utopia-test/not-here-${suite.runId}:1`;
    const pull = (name: string): ReturnType<TestAgent['call']> =>
      a.call('POST', '/api/v1/containers', { body: { claim_id: claim(name), image } });
    proxy.rule = (method, path) =>
      method === 'POST' && path === '/images/create'
        ? { status: 500, message: 'Get "https://registry/v2/": dial tcp: no such host' }
        : undefined;
    const refused = await pull('pull-500');
    assert.equal(refused.status, 422, refused.text);
    assert.deepEqual(errorOf(refused.json), { reason: 'IMAGE_NOT_FOUND', permanent: true });
    proxy.rule = (method, path) =>
      method === 'POST' && path === '/images/create' ? 'reset' : undefined;
    const lost = await pull('pull-reset');
    assert.equal(lost.status, 503, lost.text);
    assert.deepEqual(errorOf(lost.json), UNAVAILABLE);
  });

  test('no Docker socket (ENOENT) or a dead one (ECONNREFUSED): 503 on every container route', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'utopia-no-docker-'));
    const dead = join(dir, 'dead.sock');
    writeFileSync(dead, ''); // not a listening socket: connect() is refused
    try {
      for (const socket of [join(dir, 'missing.sock'), dead]) {
        const b = await suite.agent({ socketPath: socket, simulateGpus: 1 });
        try {
          for (const [method, path] of [
            ['GET', '/api/v1/containers'],
            ['GET', '/api/v1/containers/abc'],
            ['DELETE', '/api/v1/containers/abc'],
            ['DELETE', '/api/v1/containers'],
          ] as const) {
            const res = await b.call(method, path);
            assert.equal(res.status, 503, `${socket} ${method} ${path}: ${res.text}`);
            assert.deepEqual(errorOf(res.json), UNAVAILABLE);
          }
          const made = await b.call('POST', '/api/v1/containers', {
            body: { claim_id: claim('nosock'), image: TEST_IMAGE },
          });
          assert.equal(made.status, 503, made.text);
        } finally {
          await b.agent.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Docker refusing a request (4xx) stays permanent', async () => {
    proxy.rule = (method, path) =>
      method === 'POST' && path === '/containers/create'
        ? { status: 400, message: 'invalid reference format' }
        : undefined;
    const res = await create('refused');
    assert.equal(res.status, 422, res.text);
    assert.deepEqual(errorOf(res.json), { reason: 'CONTAINER_CREATE_FAILED', permanent: true });
  });
});
