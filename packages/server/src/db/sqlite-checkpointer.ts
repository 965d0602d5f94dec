// SQLite copies the WAL back into the database file (a checkpoint) inside whichever commit takes
// the WAL past 1,000 pages: page copies and an fsync, synchronous, on the event loop, about 5% of
// the server's CPU in a burst of claims. Here a worker thread with a connection of its own
// checkpoints instead, once a second and PASSIVE (it never waits for, or blocks, the writer or a
// reader), and the server's connection does none. Should the worker fail, the server's connection
// takes checkpoints back, so the WAL never grows without bound.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';

/** WalCheckpointer is used to stop the worker before the database closes. */
export interface WalCheckpointer {
  close(): Promise<void>;
}

/** WalCheckpointerOptions is used to pace the worker and hear of its failure. */
export interface WalCheckpointerOptions {
  intervalMs?: number;
  onError?: (e: Error) => void;
}

// CommonJS run by the worker (eval: no file of its own to find from source or from dist).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { fileMustExist: true });
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

const SELF_CHECKPOINT_PAGES = 1000; // SQLite's default

/**
 * startWalCheckpointer is used once per SQLite file database, after WAL mode is on: it turns the
 * connection's own checkpoints off for as long as the worker runs.
 */
export function startWalCheckpointer(
  database: SqliteDatabase.Database,
  path: string,
  opts: WalCheckpointerOptions = {},
): WalCheckpointer {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      driver: createRequire(import.meta.url).resolve('better-sqlite3'),
      path,
      intervalMs: opts.intervalMs ?? 1000,
    },
  });
  worker.unref();
  database.pragma('wal_autocheckpoint = 0');
  let closing = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.once('error', (e) => {
    if (database.open) database.pragma(`wal_autocheckpoint = ${SELF_CHECKPOINT_PAGES}`);
    if (!closing) opts.onError?.(e);
  });
  return {
    async close() {
      closing = true;
      worker.ref(); // unreferenced, it would not keep the process up for its own exit
      worker.postMessage('close');
      await exited;
    },
  };
}
