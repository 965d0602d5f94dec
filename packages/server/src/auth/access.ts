import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Errors } from '../errors.js';
import type { Authenticator } from './authenticate.js';
import {
  NODE_CREDENTIAL_PREFIX,
  type Access,
  type Principal,
  type UserPrincipal,
} from './principal.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; every route must say (see registerAccessControl). */
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** RouteAccess is used by the RBAC test to check that every route is in its table. */
export interface RouteAccess {
  method: string;
  url: string;
  access: Access;
}

/**
 * registerAccessControl is used once, before any route: it refuses to register a route that does
 * not state its access rule, and checks the rule on every request before the body is validated.
 */
export function registerAccessControl(
  app: FastifyInstance,
  authenticate: Authenticator,
): RouteAccess[] {
  const routes: RouteAccess[] = [];
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => {
    // The docs page's assets come from @fastify/swagger-ui, which cannot state a rule itself.
    if (route.url.startsWith('/docs')) route.config = { ...route.config, access: 'public' };
    const access = route.config?.access;
    if (access === undefined)
      throw new Error(`route ${route.method} ${route.url} states no access rule`);
    for (const method of [route.method].flat()) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, access });
    }
  });
  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config.access;
    if (access === undefined || access === 'public') return;
    const credential = credentialOf(request);
    request.principal = await authenticate(credential);
    // An agent whose node was deleted (or whose server lost its database) must learn exactly
    // that, so it stops instead of retrying forever.
    if (access === 'node' && request.principal === null && isNodeCredential(credential)) {
      throw Errors.nodeCredentialInvalid();
    }
    enforce(access, request.principal);
  });
  return routes;
}

/** WS_BEARER_PROTOCOL_PREFIX is used, as by Kubernetes, to carry a token in a WebSocket subprotocol. */
export const WS_BEARER_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/**
 * credentialOf is used wherever a request's credential is read: its Authorization header, or,
 * for a WebSocket handshake without one, a bearer token offered as the subprotocol
 * `base64url.bearer.authorization.k8s.io.<base64url(token)>` (a browser's WebSocket cannot set
 * headers; Kubernetes uses the same trick). Only an upgrade request may do so, and the server
 * never selects that protocol (ws answers the first one offered, which must be the real one).
 */
export function credentialOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined || request.headers.upgrade?.toLowerCase() !== 'websocket') return header;
  const offered = (request.headers['sec-websocket-protocol'] ?? '').split(',');
  const entry = offered.map((p) => p.trim()).find((p) => p.startsWith(WS_BEARER_PROTOCOL_PREFIX));
  if (entry === undefined) return undefined;
  const encoded = entry.slice(WS_BEARER_PROTOCOL_PREFIX.length);
  if (!/^[A-Za-z0-9_-]{1,4096}$/.test(encoded)) return undefined;
  const token = Buffer.from(encoded, 'base64url').toString('utf8');
  return /^[\x21-\x7e]+$/.test(token) ? `Bearer ${token}` : undefined;
}

function isNodeCredential(authorization: string | undefined): boolean {
  return (
    /^Bearer\s+/i.test(authorization ?? '') &&
    (authorization ?? '').replace(/^Bearer\s+/i, '').startsWith(NODE_CREDENTIAL_PREFIX)
  );
}

function enforce(access: Access, principal: Principal | null): void {
  if (principal === null) throw Errors.unauthenticated();
  if (access === 'node') {
    if (principal.kind !== 'node') throw Errors.forbidden('only a node agent may call this');
    return;
  }
  if (principal.kind !== 'user') throw Errors.forbidden('a node credential cannot call this');
  if (access === 'admin' && principal.role !== 'admin')
    throw Errors.forbidden('only an admin may do this');
}

/** currentUser is used by handlers of user routes: the hook guarantees a user principal there. */
export function currentUser(request: FastifyRequest): UserPrincipal {
  const p = request.principal;
  if (p === null || p.kind !== 'user') throw Errors.unauthenticated();
  return p;
}

/** currentNodeId is used by handlers of node routes. */
export function currentNodeId(request: FastifyRequest): string {
  const p = request.principal;
  if (p === null || p.kind !== 'node') throw Errors.unauthenticated();
  return p.nodeId;
}
