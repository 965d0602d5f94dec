import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import type { SnapshotItem, WatchSource } from '../watch/watch-session.js';
import { toClaim } from './claim-view.js';
import { selectClaims, type Cursor } from './claims.queries.js';

const PAGE = 500;

/** ClaimWatchFilter is used to say whose claims a stream shows, or the one claim it shows. */
export interface ClaimWatchFilter {
  /** Only this owner's claims (always set for users). */
  ownerId?: string;
  /** Only this claim: the stream ends when it is deleted. */
  id?: string;
}

/** claimWatchSource is used by GET /api/gpu-claims?watch=1 and GET /api/gpu-claims/:id?watch=1. */
export function claimWatchSource(db: Kysely<Database>, f: ClaimWatchFilter): WatchSource {
  return {
    single: f.id !== undefined,
    matches: (r) =>
      r.kind === 'GpuClaim' &&
      (f.ownerId === undefined || r.owner_id === f.ownerId) &&
      (f.id === undefined || r.object_id === f.id),
    async *snapshot(): AsyncIterable<SnapshotItem[]> {
      let after: Cursor | undefined;
      for (;;) {
        const rows = await selectClaims(db, f, PAGE, after);
        yield rows.map((r) => ({ id: r.id, version: r.version, json: JSON.stringify(toClaim(r)) }));
        const last = rows[rows.length - 1];
        if (rows.length < PAGE || !last) return;
        after = { createdAt: last.created_at, id: last.id };
      }
    },
  };
}
