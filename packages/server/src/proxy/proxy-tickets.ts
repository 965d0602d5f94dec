import type { Kysely } from 'kysely';
import { randomSecret, sha256Hex } from '../auth/secrets.js';
import type { Database } from '../db/schema.js';
import { isoAt } from '../db/time.js';

/** PROXY_TICKET_TTL_MS is used as how long a ticket can be redeemed: one browser redirect. */
export const PROXY_TICKET_TTL_MS = 60_000;

/** ProxyGrant is used for what a ticket or a proxy cookie opens: one port of one claim, for one user. */
export interface ProxyGrant {
  claimId: string;
  port: number;
  userId: string;
}

/**
 * issueProxyTicket is used by POST /api/gpu-claims/:id/proxy-sessions: the ticket is returned
 * once and only its hash is stored. Expired tickets are swept on the way.
 */
export async function issueProxyTicket(
  db: Kysely<Database>,
  grant: ProxyGrant,
  nowMs: number,
): Promise<{ ticket: string; expiresAt: string }> {
  await db.deleteFrom('proxy_tickets').where('expires_at', '<', isoAt(nowMs)).execute();
  const ticket = randomSecret(32);
  const expiresAt = isoAt(nowMs + PROXY_TICKET_TTL_MS);
  await db
    .insertInto('proxy_tickets')
    .values({
      ticket_hash: sha256Hex(ticket),
      claim_id: grant.claimId,
      port: grant.port,
      user_id: grant.userId,
      expires_at: expiresAt,
    })
    .execute();
  return { ticket, expiresAt };
}

/**
 * redeemProxyTicket is used once per ticket: the row is deleted, and only the caller whose
 * delete removed it gets the grant, so two racing redeems (on any replicas) cannot both win.
 */
export async function redeemProxyTicket(
  db: Kysely<Database>,
  ticket: string,
  nowMs: number,
): Promise<ProxyGrant | undefined> {
  const hash = sha256Hex(ticket);
  const row = await db
    .selectFrom('proxy_tickets')
    .selectAll()
    .where('ticket_hash', '=', hash)
    .executeTakeFirst();
  if (!row) return undefined;
  const deleted = await db
    .deleteFrom('proxy_tickets')
    .where('ticket_hash', '=', hash)
    .executeTakeFirst();
  if (deleted.numDeletedRows !== 1n || row.expires_at < isoAt(nowMs)) return undefined;
  return { claimId: row.claim_id, port: row.port, userId: row.user_id };
}
