// A port-forward client for tests: opens GET /api/gpu-claims/:id/port-forward as a WebSocket,
// reads refusals, and moves bytes through it.
import { WebSocket, type RawData } from 'ws';
import type { TestServer } from './harness.js';

/** Refusal is used to hand a test the HTTP answer given instead of an upgrade. */
export interface Refusal {
  status: number;
  code: string;
  message: string;
}

/** portForwardUrl is used to build the route's ws:// URL. */
export function portForwardUrl(t: TestServer, claimId: string, port: number | string): string {
  return `${t.url.replace(/^http/, 'ws')}/api/gpu-claims/${claimId}/port-forward?port=${port}`;
}

/**
 * connectWebSocket is used to open a WebSocket, or read the HTTP answer that refused it; with a
 * bearer token when one is given. Messages are kept until exchange or readUntilClose reads them.
 */
export function connectWebSocket(
  url: string,
  token: string | undefined,
  headers: Record<string, string> = {},
): Promise<WebSocket | Refusal> {
  return new Promise((resolve, reject) => {
    const auth: Record<string, string> =
      token === undefined ? {} : { authorization: `Bearer ${token}` };
    const ws = new WebSocket(url, { headers: { ...headers, ...auth } });
    // Kept from the start: the container may speak first (a banner, or all it has), before a
    // helper listens.
    ws.once('open', () => {
      keepMessages(ws);
      resolve(ws);
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const json = parseObject(body);
        resolve({
          status: res.statusCode ?? 0,
          code: typeof json.code === 'string' ? json.code : '',
          message: typeof json.message === 'string' ? json.message : body,
        });
      });
    });
    ws.once('error', reject);
  });
}

/**
 * openPortForward is used to reach a port of a Running claim; a 502 (the service is still
 * starting) is retried until `timeoutMs`.
 */
export async function openPortForward(
  t: TestServer,
  token: string,
  claimId: string,
  port: number,
  timeoutMs = 20_000,
): Promise<WebSocket> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ws = await connectWebSocket(portForwardUrl(t, claimId, port), token);
    if (ws instanceof WebSocket) return ws;
    if (ws.status !== 502 || Date.now() > deadline)
      throw new Error(`port-forward refused: ${ws.status} ${ws.code} ${ws.message}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** exchange is used to send `payload` in 64 KiB frames and collect as many bytes back. */
export function exchange(ws: WebSocket, payload: Buffer): Promise<Buffer> {
  const received: Buffer[] = [];
  let size = 0;
  const back = new Promise<Buffer>((resolve, reject) => {
    listen(ws, (chunk) => {
      received.push(chunk);
      size += chunk.length;
      if (size >= payload.length) resolve(Buffer.concat(received));
    });
    ws.once('close', (code: number) =>
      reject(new Error(`closed (${code}) after ${size} of ${payload.length} bytes`)),
    );
  });
  for (let at = 0; at < payload.length; at += 64 * 1024)
    ws.send(payload.subarray(at, at + 64 * 1024));
  return back;
}

/** readUntilClose is used to collect everything a port-forward sends until it closes. */
export function readUntilClose(
  ws: WebSocket,
): Promise<{ code: number; reason: string; data: Buffer }> {
  const received: Buffer[] = [];
  listen(ws, (chunk) => received.push(chunk));
  return new Promise((resolve) =>
    ws.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString(), data: Buffer.concat(received) }),
    ),
  );
}

/** Messages that came before anyone listened, per socket, and who listens now. */
const inboxes = new WeakMap<WebSocket, { kept: Buffer[]; listener?: (chunk: Buffer) => void }>();

function keepMessages(ws: WebSocket): void {
  const inbox: { kept: Buffer[]; listener?: (chunk: Buffer) => void } = { kept: [] };
  inboxes.set(ws, inbox);
  ws.on('message', (data: RawData) => {
    const chunk = toBuffer(data);
    if (inbox.listener) inbox.listener(chunk);
    else inbox.kept.push(chunk);
  });
}

function listen(ws: WebSocket, listener: (chunk: Buffer) => void): void {
  const inbox = inboxes.get(ws);
  if (!inbox) {
    ws.on('message', (data: RawData) => listener(toBuffer(data)));
    return;
  }
  for (const chunk of inbox.kept.splice(0)) listener(chunk);
  inbox.listener = listener;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? Object.fromEntries(Object.entries(parsed))
      : {};
  } catch {
    return {};
  }
}
