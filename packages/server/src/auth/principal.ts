import type { Role } from '@utopia/shared';

/** UserPrincipal is used for a request made by a person (login JWT) or their API token. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  username: string;
  role: Role;
  via: 'jwt' | 'api-token';
}

/** NodePrincipal is used for a request made by a node agent with its own credential. */
export interface NodePrincipal {
  kind: 'node';
  nodeId: string;
}

/** Principal is used to tell who made a request; null on a request is anonymous. */
export type Principal = UserPrincipal | NodePrincipal;

/** Access is used by every route to state who may call it; one hook enforces it. */
export type Access = 'public' | 'user' | 'admin' | 'node';

/** API_TOKEN_PREFIX and NODE_CREDENTIAL_PREFIX are used to tell bearer token kinds apart. */
export const API_TOKEN_PREFIX = 'utp_';
export const NODE_CREDENTIAL_PREFIX = 'utn_';

/** splitToken is used to take `<prefix><id>.<secret>` apart. */
export function splitToken(
  token: string,
  prefix: string,
): { id: string; secret: string } | undefined {
  if (!token.startsWith(prefix)) return undefined;
  const body = token.slice(prefix.length);
  const dot = body.indexOf('.');
  if (dot <= 0 || dot === body.length - 1) return undefined;
  return { id: body.slice(0, dot), secret: body.slice(dot + 1) };
}
