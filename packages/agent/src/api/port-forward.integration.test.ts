// The agent's port-forward WebSocket on the REAL Docker Engine: test containers have network
// "none", so the agent can only reach them from inside their network namespace (nsenter).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { WebSocket, type RawData } from 'ws';
import { TEST_IMAGE } from '../test-support/docker-env.js';
import { useDockerSuite } from '../test-support/docker-suite.js';
import { field } from '../test-support/json-field.js';
import type { TestAgent } from '../test-support/test-agent.js';

/** The container's TCP services: busybox nc, one shell per connection. */
const ECHO_PORT = 7000;
const HELLO_PORT = 7001;
const SERVICES = [
  `busybox nc -ll -p ${ECHO_PORT} -e cat &`,
  `busybox nc -ll -p ${HELLO_PORT} -e echo hello &`,
  'wait',
].join(' ');

describe('port-forward on a real Docker Engine', () => {
  let agent: TestAgent;
  let containerId: string;
  useDockerSuite(async (s) => {
    agent = await s.agent();
    const res = await agent.call('POST', '/api/v1/containers', {
      body: {
        claim_id: `pf${s.runId}`,
        image: TEST_IMAGE,
        gpu_ids: [],
        command: ['sh', '-c', SERVICES],
      },
    });
    assert.equal(res.status, 201, res.text);
    containerId = String(field(res.json, 'container_id'));
  });

  const url = (port: number | string, id = containerId): string =>
    `${agent.agent.url.replace(/^http/, 'ws')}/api/v1/containers/${id}/port-forward?port=${port}`;

  // `listen` runs as the socket is made: a service that writes and closes at once can have its
  // bytes and its close emitted in the tick of 'open', before an awaiting caller could listen.
  const open = (
    port: number | string,
    id?: string,
    listen?: (ws: WebSocket) => void,
  ): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url(port, id), {
        headers: { authorization: `Bearer ${agent.agent.agentToken}` },
      });
      listen?.(ws);
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });

  /** refusal is used to read the HTTP answer given instead of an upgrade. */
  const refusal = (
    target: string,
    token: string | null,
  ): Promise<{ status: number; body: string }> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> =
        token === null ? {} : { authorization: `Bearer ${token}` };
      const ws = new WebSocket(target, { headers });
      ws.once('open', () => reject(new Error('upgraded')));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.once('error', () => undefined);
    });

  const closeOf = (ws: WebSocket): Promise<number> =>
    new Promise((resolve) => ws.once('close', (code: number) => resolve(code)));

  test('carries 1 MiB to a TCP echo server and back unchanged', async () => {
    const ws = await waitForService(() => open(ECHO_PORT));
    const payload = randomBytes(1024 * 1024);
    const received: Buffer[] = [];
    let size = 0;
    const all = new Promise<void>((resolve) =>
      ws.on('message', (data: RawData) => {
        const chunk = Buffer.isBuffer(data) ? data : Buffer.from(String(data));
        received.push(chunk);
        size += chunk.length;
        if (size >= payload.length) resolve();
      }),
    );
    for (let at = 0; at < payload.length; at += 64 * 1024)
      ws.send(payload.subarray(at, at + 64 * 1024));
    await all;
    assert.equal(sha256(Buffer.concat(received)), sha256(payload));
    ws.close();
  });

  test('the container closing its side closes the WebSocket with 1000 after its bytes', async () => {
    const messages: string[] = [];
    let closed: Promise<number> | undefined;
    await waitForService(() =>
      open(HELLO_PORT, undefined, (ws) => {
        messages.length = 0; // an attempt that failed brought nothing
        ws.on('message', (data: RawData) => messages.push(String(data)));
        closed = closeOf(ws);
      }),
    );
    assert.equal(await closed, 1000);
    assert.equal(messages.join(''), 'hello\n');
  });

  test('a port nobody listens on is a 502 PORT_UNREACHABLE before any upgrade', async () => {
    const { status, body } = await refusal(url(7999), agent.agent.agentToken);
    assert.equal(status, 502);
    assert.equal(field(JSON.parse(body), 'reason'), 'PORT_UNREACHABLE');
    assert.match(body, /port 7999.*ECONNREFUSED/);
  });

  test('bad input, no token and unknown containers are refused before any upgrade', async () => {
    const token = agent.agent.agentToken;
    assert.equal((await refusal(url(ECHO_PORT), null)).status, 401);
    assert.equal((await refusal(url(ECHO_PORT), 'wrong')).status, 401);
    assert.equal((await refusal(url(0), token)).status, 400);
    assert.equal((await refusal(url('x'), token)).status, 400);
    assert.equal((await refusal(url(70000), token)).status, 400);
    assert.equal((await refusal(url(ECHO_PORT, 'claim:nope'), token)).status, 404);
    const plain = await agent.call('GET', `/api/v1/containers/${containerId}/port-forward?port=1`);
    assert.equal(plain.status, 426);
  });

  test('a text frame closes the stream with 1003', async () => {
    const ws = await waitForService(() => open(ECHO_PORT));
    ws.send('not binary');
    assert.equal(await closeOf(ws), 1003);
  });
});

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** waitForService is used while the container's nc is starting: refusals are retried briefly. */
async function waitForService(open: () => Promise<WebSocket>): Promise<WebSocket> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      return await open();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
