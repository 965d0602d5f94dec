// Streamed GETs against a real HTTP server on 127.0.0.1: a connection cut before the answer's
// head is tried once more; a second cut, or a deadline passed, fails the call.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { after, before, beforeEach, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import type { AgentTarget } from './agent-client.js';
import { openAgentStream, readSmallBody } from './agent-stream.js';

let server: Server;
let target: AgentTarget;
let requests = 0;
let handle: (req: IncomingMessage, res: ServerResponse, n: number) => void;

before(async () => {
  server = createServer((req, res) => handle(req, res, ++requests));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  target = { nodeId: 'n1', baseUrl: `http://127.0.0.1:${addr.port}`, token: 't0k' };
});
after(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(async () => {
  server.closeAllConnections();
  // Let the client's keep-alive pool see those connections close before the next test.
  await delay(20);
  requests = 0;
});

const hello = (req: IncomingMessage, res: ServerResponse): void => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(`hello ${req.headers.authorization ?? ''}`);
};
const opts = (): { signal: AbortSignal; headTimeoutMs: number; retryPauseMs: number } => ({
  signal: new AbortController().signal,
  headTimeoutMs: 2000,
  retryPauseMs: 10,
});

test('a connection cut before the head is tried once more', async () => {
  handle = (req, res, n) => (n === 1 ? req.socket.destroy() : hello(req, res));
  const answer = await openAgentStream(target, '/logs', opts());
  assert.equal(answer.status, 200);
  assert.equal(await readSmallBody(answer.body), 'hello Bearer t0k');
  assert.equal(requests, 2);
});

test('a second cut fails the call', async () => {
  handle = (req) => req.socket.destroy();
  await assert.rejects(openAgentStream(target, '/logs', opts()));
  assert.equal(requests, 2);
});

test('a deadline passed is not retried', async () => {
  handle = () => undefined; // never answers
  await assert.rejects(
    openAgentStream(target, '/logs', { ...opts(), headTimeoutMs: 100 }),
    /no answer within 100 ms/,
  );
  assert.equal(requests, 1);
});

test('an aborted call is not retried', async () => {
  const abort = new AbortController();
  handle = (req) => {
    abort.abort();
    req.socket.destroy();
  };
  await assert.rejects(openAgentStream(target, '/logs', { ...opts(), signal: abort.signal }));
  assert.equal(requests, 1);
});
