// One watch stream: an initial list (or a resume point), then every change after it, in rv order.
import type { WatchPosition, WatchResync } from '@utopia/shared';
import type { Kysely } from 'kysely';
import type { Database, ResourceChangeRow } from '../db/schema.js';
import type { ChangeFeed } from './change-feed.js';
import { compactedThrough, latestRv } from './changes.repository.js';
import type { SseWriter } from './sse-writer.js';

const BATCH = 500;

/** SnapshotItem is used for one object of the initial list, as the API shows it. */
export interface SnapshotItem {
  id: string;
  version: number;
  json: string;
}

/** WatchSource is used to say what one stream shows: which changes, and the current list. */
export interface WatchSource {
  matches(row: ResourceChangeRow): boolean;
  /** snapshot is used for the initial list, page by page (a stable order, no transaction). */
  snapshot(): AsyncIterable<SnapshotItem[]>;
  /** A watch of one object: it ends once the object is gone. */
  single: boolean;
}

/** SessionDeps is used to give a stream what it reads from and how often it checks in. */
export interface SessionDeps {
  db: Kysely<Database>;
  feed: ChangeFeed;
  heartbeatMs: number;
  /** stillAllowed is used at every heartbeat: a revoked token or disabled user ends the stream. */
  stillAllowed(): Promise<boolean>;
}

type Followed = 'closed' | 'resync' | 'gone';

/**
 * runWatch is used by the watch service for one stream. Without a resume point, or with one the
 * log no longer covers, the client gets the current list (ADDED events, no ids) and then
 * SNAPSHOT_END carrying the version the list is complete at; from there on every matching change
 * with its rv as id, so Last-Event-ID resumes exactly after the last one received.
 */
export async function runWatch(
  w: SseWriter,
  deps: SessionDeps,
  source: WatchSource,
  resumeFrom: number | undefined,
): Promise<void> {
  let position = resumeFrom;
  if (position !== undefined) {
    const problem = await resumeProblem(deps, position);
    if (problem) {
      if (!(await sendResync(w, problem))) return;
      position = undefined;
    }
  }
  for (;;) {
    if (position === undefined) {
      const synced = await sendSnapshot(w, deps, source);
      if (synced === 'closed') return;
      if (synced === 'resync') {
        if (!(await sendResync(w, expired()))) return;
        continue;
      }
      if (source.single && !synced.present) return;
      position = synced.cursor;
    }
    const outcome: Followed = await follow(w, deps, source, position);
    if (outcome !== 'resync') return;
    if (!(await sendResync(w, expired()))) return;
    position = undefined;
  }
}

function expired(): WatchResync {
  return { reason: 'Expired', message: 'the stream fell behind the change log: list again' };
}

async function resumeProblem(deps: SessionDeps, rv: number): Promise<WatchResync | undefined> {
  const floor = await compactedThrough(deps.db);
  if (rv < floor)
    return {
      reason: 'Expired',
      message: `resource version ${rv} is older than the change log (it starts after ${floor}): list again`,
    };
  if (rv > deps.feed.head && rv > (await latestRv(deps.db)))
    return {
      reason: 'Unknown',
      message: `resource version ${rv} is newer than any change this server knows: list again`,
    };
  return undefined;
}

// An empty id resets the client's Last-Event-ID: a reconnect during the list that follows
// starts over instead of resuming from a version that is no good.
function sendResync(w: SseWriter, problem: WatchResync): Promise<boolean> {
  return w.send({ id: '', event: 'RESYNC', data: JSON.stringify(problem) });
}

function position(rv: number): string {
  const data: WatchPosition = { resourceVersion: String(rv) };
  return JSON.stringify(data);
}

/**
 * sendSnapshot is used to send the current list and bring it to a known version. The list is
 * read page by page while writes go on, so it reflects some changes after `start`; the changes
 * in (start, end] are then replayed, each only if it is newer than what the list showed of its
 * object (by object version), so none is shown twice and none is lost. `end` is the newest
 * committed change once the list was read; SNAPSHOT_END names it.
 */
async function sendSnapshot(
  w: SseWriter,
  deps: SessionDeps,
  source: WatchSource,
): Promise<{ cursor: number; present: boolean } | 'closed' | 'resync'> {
  const start = deps.feed.head;
  const seen = new Map<string, number>();
  for await (const page of source.snapshot()) {
    for (const item of page) {
      if (!(await w.send({ event: 'ADDED', data: item.json }))) return 'closed';
      seen.set(item.id, item.version);
    }
  }
  const end = Math.max(start, await latestRv(deps.db));
  let cursor = start;
  while (cursor < end) {
    await deps.feed.waitBeyond(cursor, deps.heartbeatMs, w.signal);
    if (w.signal.aborted) return 'closed';
    if (deps.feed.head <= cursor) {
      if (!(await w.comment('ping'))) return 'closed';
      continue;
    }
    const batch = await deps.feed.read(cursor, BATCH);
    if (batch === 'compacted') return 'resync';
    for (const rec of batch.records) {
      if (rec.rv > end) break;
      if (!source.matches(rec) || !isNewerThanSeen(seen, rec)) continue;
      if (!(await w.send({ event: rec.type, data: rec.object }))) return 'closed';
    }
    cursor = Math.min(batch.through, end);
  }
  const ok = await w.send({ id: String(end), event: 'SNAPSHOT_END', data: position(end) });
  return ok ? { cursor: end, present: seen.size > 0 } : 'closed';
}

// Whether a change replayed after the list is news to a client that holds the list.
function isNewerThanSeen(seen: Map<string, number>, rec: ResourceChangeRow): boolean {
  const known = seen.get(rec.object_id);
  if (rec.type === 'DELETED') return seen.delete(rec.object_id);
  // A MODIFIED of an object the list lacks: it was deleted before its page was read.
  if (known === undefined ? rec.type !== 'ADDED' : known >= rec.object_version) return false;
  seen.set(rec.object_id, rec.object_version);
  return true;
}

async function follow(
  w: SseWriter,
  deps: SessionDeps,
  source: WatchSource,
  from: number,
): Promise<Followed> {
  let cursor = from;
  let lastId = from;
  let nextBeat = Date.now() + deps.heartbeatMs;
  for (;;) {
    const untilBeat = nextBeat - Date.now();
    if (deps.feed.head <= cursor && untilBeat > 0)
      await deps.feed.waitBeyond(cursor, untilBeat, w.signal);
    if (w.signal.aborted) return 'closed';
    if (Date.now() >= nextBeat) {
      if (!(await deps.stillAllowed())) return 'closed';
      // Past changes this client does not see, a bookmark moves its Last-Event-ID forward, so a
      // reconnect much later still resumes instead of listing again.
      const beat =
        cursor > lastId
          ? w.send({ id: String(cursor), event: 'BOOKMARK', data: position(cursor) })
          : w.comment('ping');
      if (!(await beat)) return 'closed';
      lastId = cursor;
      nextBeat = Date.now() + deps.heartbeatMs;
    }
    if (deps.feed.head <= cursor) continue;
    const batch = await deps.feed.read(cursor, BATCH);
    if (batch === 'compacted') return 'resync';
    for (const rec of batch.records) {
      if (!source.matches(rec)) continue;
      if (!(await w.send({ id: String(rec.rv), event: rec.type, data: rec.object })))
        return 'closed';
      lastId = rec.rv;
      if (source.single && rec.type === 'DELETED') return 'gone';
    }
    cursor = batch.through;
  }
}
