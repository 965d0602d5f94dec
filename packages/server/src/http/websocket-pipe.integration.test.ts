// pipeWebSockets between real sockets on 127.0.0.1: two clients connect to one server, which
// pipes their server-side sockets together, so whatever one client sends the other receives.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { afterEach, beforeEach, test } from 'node:test';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import {
  forwardableCode,
  pipeWebSockets,
  type PipeEnd,
  type PipeOptions,
} from './websocket-pipe.js';

interface Pair {
  left: WebSocket;
  right: WebSocket;
  /** The server-side socket of `left`: the one the pipe pauses when `right` reads too slowly. */
  leftInside: WebSocket;
  ended: Promise<PipeEnd>;
}

let server: WebSocketServer;

beforeEach(async () => {
  server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
});

afterEach(async () => {
  for (const client of server.clients) client.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function connectPair(opts: PipeOptions = {}): Promise<Pair> {
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  const url = `ws://127.0.0.1:${address.port}`;
  const inside: WebSocket[] = [];
  const bothInside = new Promise<void>((resolve) => {
    server.on('connection', (ws) => {
      inside.push(ws);
      if (inside.length === 2) resolve();
    });
  });
  const left = new WebSocket(url);
  await once(left, 'open');
  const right = new WebSocket(url);
  await once(right, 'open');
  await bothInside;
  const [leftInside, rightInside] = inside;
  assert.ok(leftInside && rightInside);
  return {
    left,
    right,
    leftInside,
    ended: pipeWebSockets(leftInside, rightInside, opts),
  };
}

function nextMessage(ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) =>
    ws.once('message', (data: RawData, isBinary: boolean) =>
      resolve({ data: toBuffer(data), isBinary }),
    ),
  );
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString() }),
    ),
  );
}

test('messages cross both ways and keep their binary or text kind', async () => {
  const { left, right } = await connectPair();
  const atRight = nextMessage(right);
  left.send(Buffer.from([0, 1, 2, 255]));
  assert.deepEqual(await atRight, { data: Buffer.from([0, 1, 2, 255]), isBinary: true });
  const atLeft = nextMessage(left);
  right.send('hello');
  assert.deepEqual(await atLeft, { data: Buffer.from('hello'), isBinary: false });
});

test('a slow reader pauses the writer, and everything arrives once it reads again', async () => {
  const { left, right, leftInside } = await connectPair({ highWaterMark: 256 * 1024 });
  // 1. The right client stops reading: the pipe must stop reading the left one.
  right.pause();
  const chunk = Buffer.alloc(64 * 1024);
  const sent = createHash('sha256');
  const total = 32 * 1024 * 1024;
  for (let i = 0; i < total / chunk.length; i++) {
    chunk.fill(i % 251);
    sent.update(chunk);
    left.send(chunk);
  }
  const deadline = Date.now() + 5000;
  while (!leftInside.isPaused && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.equal(leftInside.isPaused, true, 'the left socket was never paused');
  // 2. Reading again drains it all, in order.
  const received = createHash('sha256');
  let bytes = 0;
  const all = new Promise<void>((resolve) =>
    right.on('message', (data: RawData) => {
      const buf = toBuffer(data);
      received.update(buf);
      bytes += buf.length;
      if (bytes === total) resolve();
    }),
  );
  right.resume();
  await all;
  assert.equal(received.digest('hex'), sent.digest('hex'));
});

test('a close on one side closes the other with the same code and reason', async () => {
  const { left, right, ended } = await connectPair();
  const rightClosed = closed(right);
  left.close(4001, 'done here');
  assert.deepEqual(await rightClosed, { code: 4001, reason: 'done here' });
  assert.deepEqual(await ended, { side: 'a', code: 4001, reason: 'done here' });
});

test('the other side is closed only once the hook for the first close has finished', async () => {
  const steps: string[] = [];
  let finishHook = (): void => {};
  const { left, right, ended } = await connectPair({
    beforeClosingOther: async (end) => {
      steps.push(`hook ${end.side} ${end.code}`);
      await new Promise<void>((resolve) => (finishHook = resolve));
      steps.push('hook done');
    },
  });
  const rightClosed = closed(right).then((c) => steps.push(`right closed ${c.code}`));
  left.close(4002, 'bye');
  while (steps.length === 0) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(steps, ['hook a 4002'], 'the right side closed before the hook finished');
  finishHook();
  await rightClosed;
  assert.deepEqual(steps, ['hook a 4002', 'hook done', 'right closed 4002']);
  assert.deepEqual(await ended, { side: 'a', code: 4002, reason: 'bye' });
});

test('a failing hook still closes the other side', async () => {
  const { left, right } = await connectPair({
    beforeClosingOther: () => Promise.reject(new Error('database down')),
  });
  const rightClosed = closed(right);
  left.close(4003, 'gone');
  assert.equal((await rightClosed).code, 4003);
});

test('a side that vanishes without a close frame closes the other with 1011', async () => {
  const { left, right } = await connectPair();
  const leftClosed = closed(left);
  right.terminate();
  assert.equal((await leftClosed).code, 1011);
});

test('codes nobody may send are mapped to ones that can be', () => {
  assert.equal(forwardableCode(1005), 1000);
  assert.equal(forwardableCode(1006), 1011);
  assert.equal(forwardableCode(1015), 1011);
  assert.equal(forwardableCode(1004), 1011);
  assert.equal(forwardableCode(4404), 4404);
  assert.equal(forwardableCode(1001), 1001);
});
