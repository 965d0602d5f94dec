import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { isoAt, type Clock } from '../db/time.js';
import type { JwtSigner } from './jwt.js';
import {
  API_TOKEN_PREFIX,
  NODE_CREDENTIAL_PREFIX,
  splitToken,
  type Principal,
  type UserPrincipal,
} from './principal.js';
import { constantTimeEqual, sha256Hex } from './secrets.js';

/** Authenticator is used to turn an Authorization header into a principal. */
export type Authenticator = (authorization: string | undefined) => Promise<Principal | null>;

/**
 * createAuthenticator is used once per app. Every credential is re-checked against the database on
 * each request, so disabling a user, revoking a token or deleting a node takes effect at once.
 */
export function createAuthenticator(
  db: Kysely<Database>,
  jwt: JwtSigner,
  clock: Clock,
): Authenticator {
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    const token = match?.[1];
    if (token === undefined) return null;
    if (token.startsWith(API_TOKEN_PREFIX)) return apiTokenPrincipal(db, token, clock);
    if (token.startsWith(NODE_CREDENTIAL_PREFIX)) return nodePrincipal(db, token);
    const session = await jwt.verify(token);
    return session === undefined ? null : userPrincipal(db, session.userId, session.generation);
  };
}

/**
 * userPrincipal is used for both login tokens (with the generation they carry) and API tokens
 * (generation undefined: an API token is its own credential, revoked on its own, and it outlives a
 * password change). The user row is read on every request, no cache: a disabled user, a changed
 * role or a bumped generation takes effect at once, on every replica.
 */
async function userPrincipal(
  db: Kysely<Database>,
  userId: string,
  generation: number | undefined,
): Promise<UserPrincipal | null> {
  const user = await db
    .selectFrom('users')
    .select(['id', 'username', 'role', 'disabled', 'token_generation'])
    .where('id', '=', userId)
    .executeTakeFirst();
  if (!user || user.disabled) return null;
  if (generation !== undefined && generation !== user.token_generation) return null;
  const via = generation === undefined ? 'api-token' : 'jwt';
  return { kind: 'user', userId: user.id, username: user.username, role: user.role, via };
}

async function apiTokenPrincipal(
  db: Kysely<Database>,
  token: string,
  clock: Clock,
): Promise<Principal | null> {
  const parts = splitToken(token, API_TOKEN_PREFIX);
  if (!parts) return null;
  const row = await db
    .selectFrom('api_tokens')
    .selectAll()
    .where('id', '=', parts.id)
    .executeTakeFirst();
  if (!row || !constantTimeEqual(row.secret_hash, sha256Hex(parts.secret))) return null;
  const now = isoAt(clock.now());
  if (row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= now)) return null;
  // last_used_at is informational: write it at most once a minute, not on every request.
  if (row.last_used_at === null || row.last_used_at < isoAt(clock.now() - 60_000)) {
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: now })
      .where('id', '=', row.id)
      .execute();
  }
  return userPrincipal(db, row.user_id, undefined);
}

async function nodePrincipal(db: Kysely<Database>, token: string): Promise<Principal | null> {
  const parts = splitToken(token, NODE_CREDENTIAL_PREFIX);
  if (!parts) return null;
  const node = await db
    .selectFrom('nodes')
    .select(['id', 'credential_hash'])
    .where('id', '=', parts.id)
    .executeTakeFirst();
  if (!node || !constantTimeEqual(node.credential_hash, sha256Hex(parts.secret))) return null;
  return { kind: 'node', nodeId: node.id };
}
