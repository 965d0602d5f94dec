import type { CreateJoinTokenRequest, JoinToken } from '@utopia/shared';
import type { Kysely } from 'kysely';
import { splitToken } from '../auth/principal.js';
import { randomId, randomSecret, sha256Hex } from '../auth/secrets.js';
import type { Database, JoinTokenRow } from '../db/schema.js';
import { isoAt, type Clock } from '../db/time.js';

/** JOIN_TOKEN_PREFIX is used to recognise join tokens: `utj_<id>.<secret>`. */
export const JOIN_TOKEN_PREFIX = 'utj_';

/** toJoinToken is used to show a join token row (never its secret). */
export function toJoinToken(row: JoinTokenRow): JoinToken {
  return {
    id: row.id,
    description: row.description,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    useCount: row.use_count,
    revoked: row.revoked_at !== null,
  };
}

/** createJoinToken is used by admins; the secret is returned once and stored hashed. */
export async function createJoinToken(
  db: Kysely<Database>,
  clock: Clock,
  createdBy: string,
  req: CreateJoinTokenRequest,
): Promise<{ token: string; joinToken: JoinToken }> {
  const now = clock.now();
  const secret = randomSecret();
  const row: JoinTokenRow = {
    id: randomId(),
    secret_hash: sha256Hex(secret),
    description: req.description ?? '',
    created_by: createdBy,
    created_at: isoAt(now),
    expires_at: isoAt(now + (req.expiresInHours ?? 24) * 3_600_000),
    max_uses: req.maxUses ?? null,
    use_count: 0,
    revoked_at: null,
  };
  await db.insertInto('join_tokens').values(row).execute();
  return { token: `${JOIN_TOKEN_PREFIX}${row.id}.${secret}`, joinToken: toJoinToken(row) };
}

/** BOOTSTRAP_TOKEN_TTL_HOURS is used to bound how long a launcher's pre-shared join token works. */
export const BOOTSTRAP_TOKEN_TTL_HOURS = 1;

/**
 * acceptBootstrapJoinToken is used at start when a launcher (`npm start`) hands the server a join
 * token it generated for the agent it starts beside it: the token is stored hashed, for one use
 * and an hour, exactly like one made through the API. A token already known is left as it is.
 */
export async function acceptBootstrapJoinToken(
  db: Kysely<Database>,
  clock: Clock,
  token: string,
): Promise<void> {
  const parts = splitToken(token, JOIN_TOKEN_PREFIX);
  if (
    !parts ||
    !/^[A-Za-z0-9]{8,32}$/.test(parts.id) ||
    !/^[A-Za-z0-9_-]{32,128}$/.test(parts.secret)
  )
    throw new Error(
      'the bootstrap join token must look like utj_<8-32 letters/digits>.<32+ base64url>',
    );
  const known = await db
    .selectFrom('join_tokens')
    .select('id')
    .where('id', '=', parts.id)
    .executeTakeFirst();
  if (known) return;
  const now = clock.now();
  await db
    .insertInto('join_tokens')
    .values({
      id: parts.id,
      secret_hash: sha256Hex(parts.secret),
      description: 'bootstrap: the local node started with the server',
      created_by: 'system',
      created_at: isoAt(now),
      expires_at: isoAt(now + BOOTSTRAP_TOKEN_TTL_HOURS * 3_600_000),
      max_uses: 1,
      use_count: 0,
      revoked_at: null,
    })
    .execute();
}
