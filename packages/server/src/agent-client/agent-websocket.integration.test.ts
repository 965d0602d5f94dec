// The agent client's openWebSocket against a real Fastify app with @fastify/websocket on
// 127.0.0.1, standing in for an agent: the bearer token is checked before the upgrade, and a
// refusal comes back as the agent's coded error.
import assert from 'node:assert/strict';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { after, before, test } from 'node:test';
import type { RawData } from 'ws';
import { AgentCallError, createAgentClient, type AgentTarget } from './agent-client.js';

let agent: FastifyInstance;
let target: AgentTarget;
const client = createAgentClient({ timeoutMs: 2000 });

before(async () => {
  agent = Fastify();
  await agent.register(websocket);
  agent.addHook('onRequest', async (req, reply) => {
    if (req.headers.authorization !== 'Bearer agent-token')
      return reply.code(401).send({ error: 'no', code: 401, reason: 'UNAUTHENTICATED' });
  });
  agent.get('/echo', { websocket: true }, (socket) => {
    socket.on('message', (data: RawData, isBinary: boolean) =>
      socket.send(data, { binary: isBinary }),
    );
  });
  agent.get(
    '/refuse',
    {
      preHandler: async (_req, reply) =>
        reply.code(404).send({
          error: 'nothing listens on port 9',
          code: 404,
          reason: 'PORT_CLOSED',
          permanent: true,
        }),
    },
    async () => 'unreachable',
  );
  await agent.listen({ host: '127.0.0.1', port: 0 });
  const address = agent.server.address();
  assert.ok(address !== null && typeof address === 'object');
  target = { nodeId: 'node-1', baseUrl: `http://127.0.0.1:${address.port}`, token: 'agent-token' };
});

after(() => agent.close());

test('opens a WebSocket with the node token and carries messages', async () => {
  const ws = await client.openWebSocket(target, '/echo?x=1');
  const echoed = new Promise<string>((resolve) =>
    ws.once('message', (data: RawData) => resolve(String(data))),
  );
  ws.send('ping');
  assert.equal(await echoed, 'ping');
  ws.close();
});

test('a refused upgrade rejects with the agent status, reason and permanence', async () => {
  await assert.rejects(client.openWebSocket(target, '/refuse'), (e: unknown) => {
    assert.ok(e instanceof AgentCallError);
    assert.equal(e.status, 404);
    assert.equal(e.reason, 'PORT_CLOSED');
    assert.equal(e.permanent, true);
    assert.match(e.message, /nothing listens on port 9/);
    return true;
  });
});

test('a wrong token is refused before the upgrade', async () => {
  await assert.rejects(
    client.openWebSocket({ ...target, token: 'other' }, '/echo'),
    (e: unknown) => e instanceof AgentCallError && e.status === 401 && !e.permanent,
  );
});

test('an agent that does not answer is UNREACHABLE', async () => {
  await assert.rejects(
    client.openWebSocket({ ...target, baseUrl: 'http://127.0.0.1:1' }, '/echo'),
    (e: unknown) => e instanceof AgentCallError && e.reason === 'UNREACHABLE' && !e.permanent,
  );
});
