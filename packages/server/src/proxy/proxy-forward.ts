import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';
import { createWebSocketStream, type WebSocket } from 'ws';
import { PROXY_COOKIE, withoutCookie } from './proxy-cookie.js';

// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, never forwarded.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * forwardedHeaders is used to build the request headers the container sees: the viewer's API
 * token (Authorization) and our session cookie never reach it; hop-by-hop headers stay behind,
 * except the Upgrade pair of a WebSocket request.
 */
export function forwardedHeaders(
  req: IncomingMessage,
  prefix: string,
  upgrade: boolean,
): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || name === 'authorization') continue;
    if (name === 'cookie') {
      const kept = withoutCookie(req.headers.cookie, PROXY_COOKIE);
      if (kept !== undefined) out.cookie = kept;
      continue;
    }
    out[name] = value;
  }
  if (upgrade) {
    out.connection = 'Upgrade';
    out.upgrade = req.headers.upgrade ?? 'websocket';
  }
  out['x-forwarded-prefix'] = prefix.replace(/\/$/, '');
  out['x-forwarded-host'] = req.headers.host ?? '';
  out['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  return out;
}

/** responseHeaders is used to hand the container's answer headers on, minus hop-by-hop ones. */
export function responseHeaders(res: IncomingMessage): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  }
  return out;
}

/**
 * requestOverPort is used to speak HTTP to the container over one port-forward connection: the
 * agent's WebSocket becomes the request's socket, so plain requests and upgrades work alike.
 */
export function requestOverPort(
  upstream: WebSocket,
  req: IncomingMessage,
  headers: OutgoingHttpHeaders,
): ReturnType<typeof httpRequest> {
  const socket: Duplex = createWebSocketStream(upstream);
  // The connection's errors surface on the request; the stream's own are expected noise.
  socket.on('error', () => undefined);
  return httpRequest({
    method: req.method,
    path: req.url,
    headers,
    createConnection: () => socket,
  });
}
