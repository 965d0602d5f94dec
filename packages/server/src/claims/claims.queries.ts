import type { ClaimPhase } from '@utopia/shared';
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { ClaimRowWithNames } from './claim-view.js';

/** ClaimFilter is used to narrow claim lists. */
export interface ClaimFilter {
  ownerId?: string;
  ownerName?: string;
  phase?: ClaimPhase;
  name?: string;
  nodeId?: string;
  id?: string;
}

/** Cursor is used for keyset pagination: newest first, ties broken by id. */
export interface Cursor {
  createdAt: string;
  id: string;
}

/**
 * encodeCursor and decodeCursor are used to hand the next page's position to clients, in the shape
 * of ClaimCursor (`<createdAt>~<id>`). Validation has checked that shape, and any position is a
 * valid place to start a page from, so decoding cannot fail.
 */
export function encodeCursor(c: Cursor): string {
  return `${c.createdAt}~${c.id}`;
}
export function decodeCursor(s: string): Cursor {
  const at = s.indexOf('~');
  return { createdAt: s.slice(0, at), id: s.slice(at + 1) };
}

/** selectClaims is used by the list and get routes: claims with their owner's and node's names. */
export function selectClaims(
  db: Kysely<Database>,
  f: ClaimFilter,
  limit: number,
  after?: Cursor,
): Promise<ClaimRowWithNames[]> {
  let q = db
    .selectFrom('gpu_claims as c')
    .innerJoin('users as u', 'u.id', 'c.owner_id')
    .leftJoin('nodes as n', 'n.id', 'c.node_id')
    .selectAll('c')
    .select(['u.username as owner_name', 'n.hostname as node_hostname']);
  if (f.id !== undefined) q = q.where('c.id', '=', f.id);
  if (f.ownerId !== undefined) q = q.where('c.owner_id', '=', f.ownerId);
  if (f.ownerName !== undefined) q = q.where('u.username', '=', f.ownerName);
  if (f.phase !== undefined) q = q.where('c.phase', '=', f.phase);
  if (f.name !== undefined) q = q.where('c.name', '=', f.name);
  if (f.nodeId !== undefined) q = q.where('c.node_id', '=', f.nodeId);
  if (after) {
    q = q.where((eb) =>
      eb.or([
        eb('c.created_at', '<', after.createdAt),
        eb.and([eb('c.created_at', '=', after.createdAt), eb('c.id', '<', after.id)]),
      ]),
    );
  }
  return q.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc').limit(limit).execute();
}
