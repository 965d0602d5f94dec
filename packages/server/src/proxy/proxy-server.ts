import {
  createServer,
  STATUS_CODES,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { UserPrincipal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import { isAppError } from '../errors.js';
import { findUserById } from '../users/users.repository.js';
import { openClaimPort } from '../port-forward/claim-port.js';
import {
  PROXY_COOKIE,
  PROXY_COOKIE_TTL_S,
  proxyPathOf,
  readCookie,
  signProxyCookie,
  verifyProxyCookie,
} from './proxy-cookie.js';
import { forwardedHeaders, requestOverPort, responseHeaders } from './proxy-forward.js';
import { redeemProxyTicket } from './proxy-tickets.js';

// /proxy/claims/<claim id>/<port>/<anything>: the id as IdParams allows it.
const CLAIM_PATH = /^\/proxy\/claims\/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\/([0-9]{1,5})(\/.*)?$/;
const TICKET = /^[A-Za-z0-9_-]{20,100}$/;

/** ProxyTarget is used for the claim port one proxied request goes to. */
interface ProxyTarget {
  claimId: string;
  port: number;
  prefix: string;
}

/** ProxyRefusal is used for an answer the proxy gives itself, as a status and a sentence. */
class ProxyRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * createProxyServer is used to serve the HTTP proxy on its own listener (its own origin): a
 * one-time ticket from the API buys a claim-port cookie, and each request with it is forwarded
 * over a port-forward connection, upgrades included. Nothing here accepts an API token.
 */
export function createProxyServer(ctx: AppContext, cookieKey: string, secure: boolean): Server {
  const server = createServer((req, res) => {
    serve(ctx, cookieKey, secure, req, res).catch((err: unknown) => refuse(res, err));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    upgrade(ctx, cookieKey, req, socket, head).catch((err: unknown) => refuseSocket(socket, err));
  });
  return server;
}

async function serve(
  ctx: AppContext,
  cookieKey: string,
  secure: boolean,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://proxy');
  if (url.pathname === '/proxy/session') return startSession(ctx, cookieKey, secure, url, res);
  const target = targetOf(url.pathname);
  if (url.pathname === target.prefix.replace(/\/$/, '')) {
    res.writeHead(308, { location: target.prefix + url.search }).end();
    return;
  }
  const upstream = await openFor(ctx, cookieKey, req, target);
  const forward = requestOverPort(upstream, req, forwardedHeaders(req, target.prefix, false));
  forward.on('response', (answer) => {
    res.writeHead(answer.statusCode ?? 502, responseHeaders(answer));
    answer.pipe(res);
  });
  forward.on('error', (err) =>
    refuse(res, new ProxyRefusal(502, `the container's answer broke off: ${err.message}`)),
  );
  res.on('close', () => forward.destroy());
  req.pipe(forward);
}

async function upgrade(
  ctx: AppContext,
  cookieKey: string,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const target = targetOf(new URL(req.url ?? '/', 'http://proxy').pathname);
  const upstream = await openFor(ctx, cookieKey, req, target);
  const forward = requestOverPort(upstream, req, forwardedHeaders(req, target.prefix, true));
  forward.on('upgrade', (answer, inner: Socket, innerHead: Buffer) => {
    socket.write(statusLine(answer) + headerLines(answer.rawHeaders) + '\r\n');
    if (innerHead.length > 0) socket.write(innerHead);
    if (head.length > 0) inner.write(head);
    inner.pipe(socket).pipe(inner);
    inner.on('close', () => socket.destroy());
    socket.on('close', () => inner.destroy());
  });
  // The container refused the upgrade: its answer goes back as it is, then the socket closes.
  forward.on('response', (answer) => {
    socket.write(statusLine(answer) + headerLines(answer.rawHeaders) + '\r\n');
    answer.pipe(socket);
  });
  forward.on('error', () => socket.destroy());
  socket.on('close', () => forward.destroy());
  forward.end();
}

/** startSession is used to redeem a ticket for a cookie scoped to its claim port's path. */
async function startSession(
  ctx: AppContext,
  cookieKey: string,
  secure: boolean,
  url: URL,
  res: ServerResponse,
): Promise<void> {
  const ticket = url.searchParams.get('ticket') ?? '';
  const now = ctx.clock.now();
  const grant = TICKET.test(ticket)
    ? await redeemProxyTicket(ctx.db.kysely, ticket, now)
    : undefined;
  if (!grant)
    throw new ProxyRefusal(
      401,
      'This link was used already or has expired: open the port again from Utopia.',
    );
  const path = proxyPathOf(grant.claimId, grant.port);
  const value = signProxyCookie(cookieKey, grant, now + PROXY_COOKIE_TTL_S * 1000);
  const cookie = [
    `${PROXY_COOKIE}=${value}`,
    `Path=${path}`,
    `Max-Age=${PROXY_COOKIE_TTL_S}`,
    'HttpOnly',
    // Lax, not Strict: the first request of the session is a top-level navigation from the UI.
    'SameSite=Lax',
    ...(secure ? ['Secure'] : []),
  ].join('; ');
  res.writeHead(303, { location: path, 'set-cookie': cookie, 'cache-control': 'no-store' }).end();
}

function targetOf(pathname: string): ProxyTarget {
  const match = CLAIM_PATH.exec(pathname);
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port >= 1 && port <= 65535))
    throw new ProxyRefusal(404, 'Not a claim port.');
  return { claimId: match[1], port, prefix: proxyPathOf(match[1], port) };
}

/** openFor is used to check the session cookie and the user's right to the claim, then connect. */
async function openFor(
  ctx: AppContext,
  cookieKey: string,
  req: IncomingMessage,
  target: ProxyTarget,
): ReturnType<typeof openPort> {
  const now = ctx.clock.now();
  const grant = readCookie(req.headers.cookie, PROXY_COOKIE)
    .map((value) => verifyProxyCookie(cookieKey, value, target, now))
    .find((g) => g !== undefined);
  if (!grant)
    throw new ProxyRefusal(401, 'No valid session for this claim port: open it from Utopia.');
  return openPort(ctx, grant.userId, target);
}

async function openPort(
  ctx: AppContext,
  userId: string,
  target: ProxyTarget,
): Promise<Awaited<ReturnType<typeof openClaimPort>>['upstream']> {
  // Checked on every request: a disabled user or a claim taken away ends access at once.
  const user = await findUserById(ctx.db.kysely, userId);
  if (!user || user.disabled === 1) throw new ProxyRefusal(401, 'This session is no longer valid.');
  const p: UserPrincipal = {
    kind: 'user',
    userId: user.id,
    username: user.username,
    role: user.role,
    via: 'jwt',
  };
  return (await openClaimPort(ctx, p, target.claimId, target.port)).upstream;
}

function statusOf(err: unknown): { status: number; message: string } {
  if (err instanceof ProxyRefusal) return { status: err.status, message: err.message };
  if (isAppError(err) && err.statusCode < 500)
    return { status: err.statusCode, message: err.message };
  if (isAppError(err)) return { status: err.statusCode, message: err.message };
  return { status: 502, message: 'The proxy could not reach the container.' };
}

function refuse(res: ServerResponse, err: unknown): void {
  const { status, message } = statusOf(err);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res
    .writeHead(status, {
      'content-type': 'text/plain; charset=utf-8',
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-store',
    })
    .end(`${message}\n`);
}

function refuseSocket(socket: Duplex, err: unknown): void {
  const { status, message } = statusOf(err);
  const body = `${message}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function statusLine(res: IncomingMessage): string {
  return `HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}\r\n`;
}

function headerLines(raw: string[]): string {
  let out = '';
  for (let i = 0; i + 1 < raw.length; i += 2) out += `${raw[i]}: ${raw[i + 1]}\r\n`;
  return out;
}
