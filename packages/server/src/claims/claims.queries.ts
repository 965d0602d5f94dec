import type { ClaimPhase } from '@utopia/shared';
import { sql, type Kysely } from 'kysely';
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
  /** A label that must be set to a value; see labelNeedle for how exact the query is. */
  label?: LabelMatch;
}

/** LabelMatch is used for `?label=key=value`. */
export interface LabelMatch {
  key: string;
  value: string;
}

/** parseLabelSelector is used on a selector the schema checked: `key=value`, key without "=". */
export function parseLabelSelector(selector: string): LabelMatch {
  const at = selector.indexOf('=');
  return { key: selector.slice(0, at), value: selector.slice(at + 1) };
}

/**
 * labelNeedle is used to find a label in the labels column (JSON of keys and values that hold
 * no quote or backslash, so `"key":"value"` appears only as that pair). LIKE's wildcards are
 * escaped with "!". MySQL's LIKE ignores case, so callers keep only rows that hasLabel.
 */
export function labelNeedle(m: LabelMatch): string {
  const escape = (s: string): string => s.replace(/[!%_]/g, (c) => `!${c}`);
  return `%${escape(JSON.stringify(m.key))}:${escape(JSON.stringify(m.value))}%`;
}

/** hasLabel is used to check a label exactly, after the query. */
export function hasLabel(labels: Readonly<Record<string, string>>, m: LabelMatch): boolean {
  return Object.hasOwn(labels, m.key) && labels[m.key] === m.value;
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
  if (f.label !== undefined) {
    const needle = labelNeedle(f.label);
    q = q.where(sql<boolean>`${sql.ref('c.labels')} like ${needle} escape '!'`);
  }
  if (after) {
    q = q.where((eb) =>
      eb.or([
        eb('c.created_at', '<', after.createdAt),
        eb.and([eb('c.created_at', '=', after.createdAt), eb('c.id', '<', after.id)]),
      ]),
    );
  }
  // One claim by id has nothing to order, and SQLite would still sort it (27 µs of a 37 µs read).
  if (f.id === undefined) q = q.orderBy('c.created_at', 'desc').orderBy('c.id', 'desc');
  return q.limit(limit).execute();
}
