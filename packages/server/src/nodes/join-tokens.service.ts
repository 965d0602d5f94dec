import type { CreateJoinTokenRequest, JoinToken } from '@utopia/shared';
import type { Kysely } from 'kysely';
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
