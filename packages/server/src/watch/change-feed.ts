// The change feed: one reader of resource_changes per server process, shared by all its watch
// streams. It polls the table (and at once when this process commits), keeps the newest rows in
// a bounded ring, and advances `head` only over rows that can no longer be preceded by another.
import { performance } from 'node:perf_hooks';
import type { Db } from '../db/database.js';
import type { ResourceChangeRow } from '../db/schema.js';
import { compactedThrough, nthNewestRv, readChanges, rvStep } from './changes.repository.js';

/** FeedBatch is used to hand a stream the rows after its position, and how far they reach. */
export interface FeedBatch {
  records: readonly ResourceChangeRow[];
  /** Every change up to here has been read (rows, or gaps that hold no change). */
  through: number;
}

/** ChangeFeed is used by watch streams to follow the change log. */
export interface ChangeFeed {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The settled head: every change with rv ≤ head is final; none can still appear below it. */
  readonly head: number;
  /** nudge is used to read at once, e.g. after a local commit. */
  nudge(): void;
  /** waitBeyond is used to sleep until head > rv, `ms` passed, or `signal` aborted. */
  waitBeyond(rv: number, ms: number, signal: AbortSignal): Promise<void>;
  /** read is used for the rows in (after, head]: from memory when recent, else the database. */
  read(after: number, limit: number): Promise<FeedBatch | 'compacted'>;
}

/** ChangeFeedOptions is used to tune the feed; see UTOPIA_WATCH_* in docs/configuration.md. */
export interface ChangeFeedOptions {
  pollMs: number;
  /** How long a hole in the rv sequence is waited for before it is taken as a rollback. */
  settleMs: number;
  /** Whether any stream reads the feed now: only then does a local commit trigger a read. */
  isWatched: () => boolean;
  log: (msg: string, extra?: Record<string, unknown>) => void;
}

const BATCH = 500;
const RING_ROWS = 4096;
const RING_BYTES = 16 << 20;
// At start, re-read this many recent rows so that a hole among them gets its settle time.
const START_BEHIND = 100;

/**
 * createChangeFeed is used once per server.
 *
 * Why a settle window: on MySQL an auto-increment value is taken when a row is inserted but
 * becomes visible when its transaction commits, so rv 9 may appear after rv 10 was read. The feed
 * therefore stops at a hole in the sequence and waits for it to fill; a hole still open after
 * `settleMs` is taken to be a rolled-back insert (those leave holes for good) and passed. A write
 * transaction open longer than that between its change row and its commit would be missed by
 * live streams; transactions here do no network I/O and last milliseconds. SQLite serialises
 * writers and reuses no values, so its log has no holes.
 */
export function createChangeFeed(db: Db, opts: ChangeFeedOptions): ChangeFeed {
  let head = 0;
  let step = 1;
  let ring: ResourceChangeRow[] = [];
  let ringBytes = 0;
  // Every accepted row with rv in (ringFloor, head] is in the ring.
  let ringFloor = 0;
  let hole: { after: number; since: number } | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let again = false;
  let stopped = true;
  let unsubscribe: (() => void) | undefined;
  const waiters = new Set<() => void>();

  function schedule(ms: number): void {
    if (stopped) return;
    if (polling) {
      if (ms === 0) again = true;
      return;
    }
    clearTimeout(timer);
    timer = setTimeout(() => void runPoll(), ms);
  }

  async function runPoll(): Promise<void> {
    let next = opts.pollMs;
    polling = (async () => {
      try {
        next = await pollOnce();
      } catch (e) {
        opts.log('change feed: read failed', { error: e instanceof Error ? e.message : String(e) });
      }
    })();
    await polling;
    polling = undefined;
    if (again) next = 0;
    again = false;
    schedule(next);
  }

  // Answers when to read next: at once after a full batch, when an open hole settles, or at the
  // poll period.
  async function pollOnce(): Promise<number> {
    const rows = await readChanges(db.kysely, head, BATCH);
    const now = performance.now();
    let cur = head;
    let taken = 0;
    for (const row of rows) {
      if (row.rv > cur + step) {
        if (hole?.after !== cur) hole = { after: cur, since: now };
        if (now - hole.since < opts.settleMs) break;
        opts.log('change feed: passing a hole in the change log', { after: cur, next: row.rv });
      }
      cur = row.rv;
      taken++;
    }
    if (taken > 0) accept(rows.slice(0, taken), cur);
    if (taken < rows.length && hole)
      return Math.min(opts.pollMs, Math.max(1, opts.settleMs - (now - hole.since)));
    return rows.length === BATCH ? 0 : opts.pollMs;
  }

  function accept(rows: readonly ResourceChangeRow[], newHead: number): void {
    for (const row of rows) {
      ring.push(row);
      ringBytes += row.object.length;
    }
    let drop = 0;
    while (ring.length - drop > RING_ROWS || (ringBytes > RING_BYTES && ring.length - drop > 1)) {
      const old = ring[drop];
      if (!old) break;
      ringBytes -= old.object.length;
      ringFloor = old.rv;
      drop++;
    }
    if (drop > 0) ring = ring.slice(drop);
    head = newHead;
    if (hole && hole.after < head) hole = undefined;
    for (const wake of [...waiters]) wake();
  }

  function firstAfter(rv: number): number {
    let lo = 0;
    let hi = ring.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((ring[mid]?.rv ?? Infinity) > rv) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  return {
    get head() {
      return head;
    },
    async start() {
      step = await rvStep(db);
      const floor = await compactedThrough(db.kysely);
      head = Math.max(floor, (await nthNewestRv(db.kysely, START_BEHIND)) ?? floor);
      ringFloor = head;
      stopped = false;
      // Under a burst of writes with nobody watching, reading after every commit is wasted work.
      unsubscribe = db.onCommit(() => {
        if (opts.isWatched()) schedule(0);
      });
      await runPoll();
    },
    async stop() {
      stopped = true;
      unsubscribe?.();
      clearTimeout(timer);
      await polling;
      for (const wake of [...waiters]) wake();
    },
    nudge: () => schedule(0),
    waitBeyond(rv, ms, signal) {
      if (head > rv || signal.aborted || stopped) return Promise.resolve();
      return new Promise((resolve) => {
        let timedOut = false;
        const t = setTimeout(() => {
          timedOut = true;
          wake();
        }, ms);
        const wake = (): void => {
          if (head <= rv && !signal.aborted && !stopped && !timedOut) return;
          waiters.delete(wake);
          clearTimeout(t);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        waiters.add(wake);
        signal.addEventListener('abort', wake);
      });
    },
    async read(after, limit) {
      const through = head;
      if (after >= through) return { records: [], through: after };
      if (after >= ringFloor) {
        const from = firstAfter(after);
        const records = ring.slice(from, from + limit);
        const last = records[records.length - 1];
        return { records, through: records.length === limit && last ? last.rv : through };
      }
      const records = await readChanges(db.kysely, after, limit, through);
      // Read the watermark after the rows: a compaction that took rows from this read has
      // committed its watermark too.
      if ((await compactedThrough(db.kysely)) > after) return 'compacted';
      const last = records[records.length - 1];
      return { records, through: records.length === limit && last ? last.rv : through };
    },
  };
}
