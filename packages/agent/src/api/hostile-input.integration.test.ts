// The agent as its own process (main.ts) on the REAL Docker Engine, fed what an attacker holding
// the node's token could send. Before the fix, an image "../../x" or an id "..%2F..%2Fversion"
// made the Engine redirect, dockerode followed the redirect to a host named by the path, and the
// error of that request, with no handler, ended the agent process.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnAgent, type AgentProcess } from '../test-support/agent-process.js';
import { ensureDocker, TEST_IMAGE } from '../test-support/docker-env.js';
import { DockerFaultProxy } from '../test-support/docker-fault-proxy.js';
import { FakeServer } from '../test-support/fake-server.js';
import { errorOf, field } from '../test-support/json-field.js';

interface Started {
  process: AgentProcess;
  url: string;
  token: string;
}

async function startAgentProcess(serverUrl: string, socket: string, dir: string): Promise<Started> {
  const identityFile = join(dir, 'identity.json');
  const agent = spawnAgent([
    ...['--server-url', serverUrl, '--join-token', 'join-ok', '--data-dir', dir],
    ...['--identity-file', identityFile, '--listen', '127.0.0.1:0', '--simulate-gpus', '2'],
    ...['--docker-socket', socket, '--container-network', 'none'],
  ]);
  const url = await agent.ready;
  const token = String(field(JSON.parse(readFileSync(identityFile, 'utf8')), 'agentToken'));
  return { process: agent, url, token };
}

describe('hostile input to an agent process on a real Docker Engine', () => {
  const fake = new FakeServer();
  const dir = mkdtempSync(join(tmpdir(), 'utopia-agent-hostile-'));
  let proxy: DockerFaultProxy;
  let agent: Started;

  before(async () => {
    const { socketPath } = await ensureDocker();
    // The proxy only passes calls on: it records what reached the Engine.
    proxy = new DockerFaultProxy(socketPath);
    await proxy.listen();
    agent = await startAgentProcess(await fake.listen(), proxy.socketPath, dir);
  });

  after(async () => {
    agent?.process.child.kill('SIGTERM');
    await agent?.process.exited;
    await proxy?.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${agent.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${agent.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  };

  test('path-escaping images and ids get 400 VALIDATION_FAILED, never reach Docker, and the agent lives', async () => {
    const requests: Array<[string, string, unknown]> = [
      ['POST', '/api/v1/containers', { claim_id: 'hostile-1', image: '../../x' }],
      ['POST', '/api/v1/containers', { claim_id: 'hostile-2', image: 'busybox/../../../version' }],
      ['POST', '/api/v1/containers', { claim_id: 'hostile-3', image: 'a b' }],
      ['POST', '/api/v1/containers', { claim_id: '../x', image: TEST_IMAGE }],
      ['GET', '/api/v1/containers/..%2F..%2Fversion', undefined],
      ['GET', '/api/v1/containers/.hidden', undefined],
      ['GET', '/api/v1/containers/a%20b', undefined],
      ['GET', '/api/v1/containers/claim:..%2Fx', undefined],
      ['DELETE', '/api/v1/containers/..%2F..%2Fversion', undefined],
      ['GET', '/api/v1/containers/..%2F..%2Fversion/logs', undefined],
    ];
    const before = proxy.seen.length;
    const answers: Array<[string, unknown]> = [];
    for (const [method, path, body] of requests) {
      const res = await call(method, path, body).catch((err: unknown) => ({
        status: `no answer (${String(err)})`,
        json: undefined,
      }));
      answers.push([`${method} ${path}`, { status: res.status, ...errorOf(res.json) }]);
    }
    // 1. The process is still there and serving (before the fix, it had died at the first).
    assert.equal(
      agent.process.child.exitCode,
      null,
      `the agent process died:\n${agent.process.log()}`,
    );
    assert.equal((await fetch(`${agent.url}/health`)).status, 200);
    // 2. Each was refused as a bad request, before anything reached Docker.
    assert.deepEqual(
      answers,
      requests.map(([method, path]) => [
        `${method} ${path}`,
        { status: 400, reason: 'VALIDATION_FAILED', permanent: true },
      ]),
    );
    assert.deepEqual(proxy.seen.slice(before), []);
    assert.equal((await call('GET', '/api/v1/containers')).status, 200);
  });
});
