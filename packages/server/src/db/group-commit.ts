// Group commit: the writes that callers reach while one batch's transaction runs are written
// together in the next one, so N concurrent writes cost one transaction (one commit, one fsync on
// SQLite) instead of N. Batches run one at a time, in the order their writes came, so MySQL sees
// no lock-order deadlocks between them. A write that fails does not fail the others: when a batch
// fails, each of its writes is retried alone in its own transaction, so only the bad one is
// refused (with its own error) and the rest commit. A failure of the opener itself (say, a lease
// fence refusing the commit) fails each of them, since each alone is refused too.
import { Transaction, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { TransactionOpener } from './transaction.js';

// The transactions that are group-commit batches, each with what to write at its end.
const batchEnds = new WeakMap<Transaction<Database>, (() => Promise<void>)[]>();
// Rows per multi-row INSERT: far below SQLite's bound on parameters and MySQL's packet size.
const ROWS_PER_INSERT = 100;

/**
 * batchedRows is used by append-only logs (events, the change log) to write the rows of a whole
 * batch as multi-row INSERTs at its end, before its commit, instead of one INSERT per row. It
 * answers the batch's buffer to push a row onto, or undefined outside a batch (insert it now).
 * `rowsOf` is the caller's own map, so each log keeps its rows typed.
 */
export function batchedRows<R>(
  db: Kysely<Database> | Transaction<Database>,
  rowsOf: WeakMap<Transaction<Database>, R[]>,
  insert: (trx: Transaction<Database>, rows: readonly R[]) => Promise<unknown>,
): R[] | undefined {
  if (!(db instanceof Transaction)) return undefined;
  const known = rowsOf.get(db);
  if (known) return known;
  const atEnd = batchEnds.get(db);
  if (!atEnd) return undefined;
  const rows: R[] = [];
  rowsOf.set(db, rows);
  atEnd.push(async () => {
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT)
      await insert(db, rows.slice(i, i + ROWS_PER_INSERT));
  });
  return rows;
}

/** GroupWrite is used for one caller's writes, run inside the batch's transaction. */
export type GroupWrite<T> = (trx: Transaction<Database>) => Promise<T>;

/** GroupCommit is used to run one write; it resolves once its batch has committed. */
export type GroupCommit = <T>(write: GroupWrite<T>) => Promise<T>;

interface Pending {
  run(trx: Transaction<Database>): Promise<void>;
  settle(): void;
  reject(e: unknown): void;
}

/** GroupCommitOptions is used to bound one batch. */
export interface GroupCommitOptions {
  /** Writes per transaction at most (default 128): bounds how long one holds its locks. */
  maxBatch?: number;
}

/**
 * createGroupCommit is used once per writer (the API's claim inserts; the controller's term, with
 * its fenced transactions): every transaction of a batch is opened through `db`. A write must be
 * safe to run again after its transaction rolled back (it is, when it only writes through trx).
 */
export function createGroupCommit(
  db: TransactionOpener,
  opts: GroupCommitOptions = {},
): GroupCommit {
  const maxBatch = opts.maxBatch ?? 128;
  let queue: Pending[] = [];
  let running = false;

  async function writeBatch(batch: readonly Pending[]): Promise<void> {
    await db.transaction().execute(async (trx) => {
      const atEnd: (() => Promise<void>)[] = [];
      batchEnds.set(trx, atEnd);
      for (const p of batch) await p.run(trx);
      for (const flush of atEnd) await flush();
    });
  }

  async function writeAlone(batch: readonly Pending[]): Promise<void> {
    for (const p of batch) {
      try {
        await writeBatch([p]);
        p.settle();
      } catch (e) {
        p.reject(e);
      }
    }
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(maxBatch);
        try {
          await writeBatch(batch);
          batch.forEach((p) => p.settle());
        } catch (e) {
          if (batch.length === 1) batch[0]?.reject(e);
          else await writeAlone(batch);
        }
      }
    } finally {
      running = false;
    }
  }

  return <T>(write: GroupWrite<T>) =>
    new Promise<T>((resolve, reject) => {
      let result: { value: T } | undefined;
      queue.push({
        run: async (trx) => {
          result = { value: await write(trx) };
        },
        // Only after the commit: a value from a batch that then rolled back is never handed out.
        settle: () => (result ? resolve(result.value) : reject(new Error('write did not run'))),
        reject,
      });
      // Wait one turn so the writes of callers running right now join the same batch.
      if (!running) {
        running = true;
        setImmediate(() => void drain());
      }
    });
}
