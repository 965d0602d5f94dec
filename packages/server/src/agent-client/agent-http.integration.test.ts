// The keep-alive transport against a real HTTP server on 127.0.0.1: connections are reused, an
// idle connection the agent dropped is retried once on a fresh one, an oversized answer is refused.
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, beforeEach, test } from 'node:test';
import { createAgentHttp } from './agent-http.js';
import type { AgentTarget } from './agent-client.js';

let server: Server;
let target: AgentTarget;
let connections = 0;
let handle: (req: IncomingMessage, res: ServerResponse, perSocket: number) => void;
const served = new WeakMap<Socket, number>();

before(async () => {
  server = createServer((req, res) => {
    const n = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, n);
    handle(req, res, n);
  });
  server.on('connection', () => connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  target = { nodeId: 'n1', baseUrl: `http://127.0.0.1:${addr.port}`, token: 't0k' };
});
after(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  connections = 0;
  server.closeAllConnections();
});

const echo = (req: IncomingMessage, res: ServerResponse): void => {
  let body = '';
  req.on('data', (c: Buffer) => (body += c.toString()));
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, body }));
  });
};

test('calls one after another share one connection, with the token and the JSON body', async () => {
  handle = echo;
  const http = createAgentHttp({ timeoutMs: 2000 });
  const a = await http.send(target, 'POST', '/api/v1/containers', { image: 'x' });
  const b = await http.send(target, 'GET', '/api/v1/containers');
  assert.deepEqual(JSON.parse(a.text), {
    method: 'POST',
    auth: 'Bearer t0k',
    body: '{"image":"x"}',
  });
  assert.equal(b.status, 200);
  assert.equal(connections, 1);
});

test('an idle connection the agent dropped is retried once on a fresh one', async () => {
  // The second request on any connection finds it closed (as when an agent's keep-alive ran out).
  handle = (req, res, perSocket) => (perSocket === 1 ? echo(req, res) : req.socket.destroy());
  const http = createAgentHttp({ timeoutMs: 2000 });
  await http.send(target, 'GET', '/a');
  const again = await http.send(target, 'GET', '/b');
  assert.equal(again.status, 200);
  assert.equal(connections, 2);
});

test('a connection cut on its first request fails the call (no retry of a fresh one)', async () => {
  handle = (req) => req.socket.destroy();
  const http = createAgentHttp({ timeoutMs: 2000 });
  await assert.rejects(http.send(target, 'GET', '/a'));
  assert.equal(connections, 1);
});

test('an answer past the size bound, or past the deadline, fails the call', async () => {
  handle = (_req, res) => {
    res.writeHead(200);
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    const more = (left: number): void => {
      if (left === 0) return void res.end();
      res.write(chunk, () => more(left - 1));
    };
    more(20);
  };
  const http = createAgentHttp({ timeoutMs: 5000 });
  await assert.rejects(http.send(target, 'GET', '/big'), /larger than/);
  handle = () => undefined; // never answers
  const slow = createAgentHttp({ timeoutMs: 200 });
  await assert.rejects(slow.send(target, 'GET', '/slow'), /no answer within 200 ms/);
});
