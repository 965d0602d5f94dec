import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { isoAt } from '../db/time.js';
import { compactChanges } from './changes.repository.js';

/** CompactorOptions is used to say how much of the change log to keep. */
export interface CompactorOptions {
  retentionMs: number;
  maxRows: number;
  log: (msg: string, extra?: Record<string, unknown>) => void;
}

/** Compactor is used to keep the change log bounded, on every replica (it is idempotent). */
export interface Compactor {
  compactNow(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * startCompactor is used once per server. Every replica compacts: the statement is the same
 * wherever it runs and the watermark only moves forward, so no leader is needed. Times are the
 * wall clock, like the rows' (see recordChange).
 */
export function startCompactor(db: Kysely<Database>, opts: CompactorOptions): Compactor {
  const everyMs = Math.min(60_000, Math.max(1000, Math.floor(opts.retentionMs / 4)));
  let running: Promise<number> | undefined;
  const compactNow = (): Promise<number> =>
    (running ??= compactChanges(db, {
      before: isoAt(Date.now() - opts.retentionMs),
      keepRows: opts.maxRows,
    }).finally(() => (running = undefined)));
  const timer = setInterval(() => {
    compactNow().catch((e: unknown) =>
      opts.log('change log compaction failed', {
        error: e instanceof Error ? e.message : String(e),
      }),
    );
  }, everyMs);
  timer.unref();
  return {
    compactNow,
    async stop() {
      clearInterval(timer);
      await running?.catch(() => undefined);
    },
  };
}
