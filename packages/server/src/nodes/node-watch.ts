import type { Kysely } from 'kysely';
import { reservationHolders } from '../claims/claims.repository.js';
import type { Database } from '../db/schema.js';
import type { SnapshotItem, WatchSource } from '../watch/watch-session.js';
import { toNode } from './node-records.js';
import { listNodes } from './nodes.repository.js';

/** nodeWatchSource is used by GET /api/nodes?watch=1: every node, as GET /api/nodes shows it. */
export function nodeWatchSource(db: Kysely<Database>): WatchSource {
  return {
    single: false,
    matches: (r) => r.kind === 'Node',
    async *snapshot(): AsyncIterable<SnapshotItem[]> {
      const holders = await reservationHolders(db);
      const nodes = await listNodes(db);
      yield nodes.map((n) => ({
        id: n.id,
        version: n.version,
        json: JSON.stringify(toNode(n, holders.get(n.id) ?? new Map<number, string>())),
      }));
    },
  };
}
