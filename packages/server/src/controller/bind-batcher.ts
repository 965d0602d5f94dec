// The controller's group commit (db/group-commit.ts) for binds and for the Running transition:
// the binds and "container is up" writes that workers reach while one batch's transaction runs
// are written together in the next one. The reservation key stays the last line of defence: when
// a batch fails, each of its writes is retried alone, so only the loser fails and re-queues.
import { createGroupCommit, type GroupCommit, type GroupWrite } from '../db/group-commit.js';
import type { TransactionOpener } from './lease-fence.js';

/** BindWrite is used for one claim's bind or status write, to run inside a given transaction. */
export type BindWrite = GroupWrite<void>;

/** BindBatcher is used by the reconciler's bind and markRunning steps. */
export type BindBatcher = GroupCommit;

/**
 * createBindBatcher is used once per leadership term, with that term's fenced writes: writeBatch
 * is the one place where binding transactions are opened, and each checks the lease is still ours
 * right before it commits (lease-fence.ts).
 */
export function createBindBatcher(db: TransactionOpener, maxBatch = 128): BindBatcher {
  return createGroupCommit(db, { maxBatch });
}
