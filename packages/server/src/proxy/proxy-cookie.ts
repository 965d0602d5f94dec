import { createHmac } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { constantTimeEqual } from '../auth/secrets.js';
import type { ProxyGrant } from './proxy-tickets.js';

// What a cookie carries: claim, port, user, expiry (epoch ms); short names keep it small.
const CookiePayload = Type.Object({
  c: Type.String(),
  p: Type.Integer(),
  u: Type.String(),
  e: Type.Number(),
});

/** PROXY_COOKIE is used as the name of the proxy session cookie (one per claim and port path). */
export const PROXY_COOKIE = 'utopia_proxy';
/** PROXY_COOKIE_TTL_S is used as a proxy session's lifetime; a new session is one API call away. */
export const PROXY_COOKIE_TTL_S = 3600;

/** proxyPathOf is used as the path prefix of one claim port on the proxy origin. */
export function proxyPathOf(claimId: string, port: number): string {
  return `/proxy/claims/${claimId}/${port}/`;
}

/**
 * signProxyCookie is used to mint a session cookie value: the grant and its expiry, HMAC-signed
 * with the server's proxy key. It opens one claim port for one user, nothing else.
 */
export function signProxyCookie(key: string, grant: ProxyGrant, expiresMs: number): string {
  const payload = Buffer.from(
    JSON.stringify({ c: grant.claimId, p: grant.port, u: grant.userId, e: expiresMs }),
  ).toString('base64url');
  return `${payload}.${mac(key, payload)}`;
}

/**
 * verifyProxyCookie is used on every proxied request: the signature (compared in constant
 * time), the expiry, and that the cookie is for exactly this claim and port.
 */
export function verifyProxyCookie(
  key: string,
  value: string,
  want: { claimId: string; port: number },
  nowMs: number,
): ProxyGrant | undefined {
  const dot = value.indexOf('.');
  if (dot <= 0) return undefined;
  const payload = value.slice(0, dot);
  if (!constantTimeEqual(value.slice(dot + 1), mac(key, payload))) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Value.Check(CookiePayload, parsed)) return undefined;
  const { c, p, u, e } = parsed;
  if (e <= nowMs || c !== want.claimId || p !== want.port) return undefined;
  return { claimId: c, port: p, userId: u };
}

/** readCookie is used to find one cookie in a Cookie header. */
export function readCookie(header: string | undefined, name: string): string[] {
  if (header === undefined) return [];
  return header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part.startsWith(`${name}=`))
    .map((part) => part.slice(name.length + 1));
}

/** withoutCookie is used to strip our cookie before a request goes to the container. */
export function withoutCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  const kept = header
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '' && !part.startsWith(`${name}=`));
  return kept.length === 0 ? undefined : kept.join('; ');
}

function mac(key: string, payload: string): string {
  return createHmac('sha256', key).update(payload).digest('base64url');
}
