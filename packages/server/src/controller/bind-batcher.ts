// Group commit for binds: the binds that workers reach while one batch's transaction runs are
// written together in the next one (one transaction per batch, batches one at a time, so MySQL
// sees no lock-order deadlocks between them and SQLite one commit per batch). The reservation
// key stays the last line of defence: when a batch fails, each of its binds is retried alone, so
// only the loser fails and re-queues.
import type { Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { TransactionOpener } from './lease-fence.js';

/** BindWrite is used for one claim's bind: its writes, to run inside a given transaction. */
export type BindWrite = (trx: Transaction<Database>) => Promise<void>;

/** BindBatcher is used by the reconciler's bind step. */
export type BindBatcher = (write: BindWrite) => Promise<void>;

interface Pending {
  write: BindWrite;
  resolve(): void;
  reject(e: unknown): void;
}

/**
 * createBindBatcher is used once per leadership term, with that term's fenced writes: writeBatch
 * is the one place where binding transactions are opened, and each checks the lease is still ours
 * right before it commits (lease-fence.ts).
 */
export function createBindBatcher(db: TransactionOpener, maxBatch = 128): BindBatcher {
  let queue: Pending[] = [];
  let running = false;

  async function writeBatch(writes: readonly BindWrite[]): Promise<void> {
    await db.transaction().execute(async (trx) => {
      for (const w of writes) await w(trx);
    });
  }

  async function drain(): Promise<void> {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(maxBatch);
        try {
          await writeBatch(batch.map((p) => p.write));
          batch.forEach((p) => p.resolve());
        } catch (e) {
          if (batch.length === 1) batch[0]?.reject(e);
          else await writeAlone(batch);
        }
      }
    } finally {
      running = false;
    }
  }

  async function writeAlone(batch: readonly Pending[]): Promise<void> {
    for (const p of batch) {
      try {
        await writeBatch([p.write]);
        p.resolve();
      } catch (e) {
        p.reject(e);
      }
    }
  }

  return (write) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ write, resolve, reject });
      // Wait one turn so the binds of workers deciding right now join the same batch.
      if (!running) {
        running = true;
        setImmediate(() => void drain());
      }
    });
}
