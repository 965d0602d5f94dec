// The leader hears of what other replicas took through their API (a claim created or deleted
// there, a node registered or labelled there) from the change log every replica writes; its own
// process's writes reach it as signals (signals.ts). Without this such a claim waited for the
// periodic resync.
import type { ResourceChangeRow } from '../db/schema.js';
import type { ChangeFeed } from '../watch/change-feed.js';

/** ChangeListener is used to hand the controller what a change asks of it. */
export interface ChangeListener {
  /** `version` is the claim's version the change wrote: a reconcile that saw it needs no other. */
  claimChanged(claimId: string, version?: number): void;
  /** The claim's row is gone: what the controller keeps of it can go too. */
  claimGone?(claimId: string): void;
  nodesChanged(): void;
}

const BATCH = 500;
const WAIT_MS = 5000;
const RETRY_MS = 1000;

/**
 * wantsReconcile is used to pick the changes that carry a user's intent: a new claim, or one whose
 * deletion was asked for. The controller's own status writes (most of the log) are left out, so
 * following the log adds no reconcile per write. Node changes all count: they are few. A claim
 * gone asks for no reconcile, only that the controller forget it.
 */
export function wantsReconcile(row: ResourceChangeRow): 'claim' | 'gone' | 'nodes' | undefined {
  if (row.kind === 'Node') return 'nodes';
  if (row.type === 'DELETED') return 'gone';
  if (row.type === 'ADDED') return 'claim';
  if (row.type === 'MODIFIED' && !row.object.includes('"deletionRequestedAt":null')) return 'claim';
  return undefined;
}

/** followChanges is used while leading; stop() ends it. It starts at the feed's head. */
export function followChanges(
  feed: ChangeFeed,
  listener: ChangeListener,
  log: (msg: string, extra?: object) => void,
): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const done = (async () => {
    let cursor = feed.head;
    while (!stopping.signal.aborted) {
      try {
        await feed.waitBeyond(cursor, WAIT_MS, stopping.signal);
        if (stopping.signal.aborted) break;
        const batch = await feed.read(cursor, BATCH);
        if (batch === 'compacted') {
          // Fell behind the log: the periodic resync covers what was missed.
          cursor = feed.head;
          continue;
        }
        let nodes = false;
        for (const row of batch.records) {
          const what = wantsReconcile(row);
          if (what === 'claim') listener.claimChanged(row.object_id, row.object_version);
          else if (what === 'gone') listener.claimGone?.(row.object_id);
          else if (what === 'nodes') nodes = true;
        }
        if (nodes) listener.nodesChanged();
        cursor = batch.through;
      } catch (e) {
        log('could not follow the change log', { err: e instanceof Error ? e.message : e });
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
    }
  })();
  return {
    async stop() {
      stopping.abort();
      await done;
    },
  };
}
