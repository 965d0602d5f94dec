// Fencing for the controller's writes: a replica that lost the lease (stalled past it by SIGSTOP,
// a long GC pause, a partition) may still be running a reconcile when it wakes up. Each of its
// writes runs in a transaction that checks, right before it commits, that the lease row still
// names this very term, and each action first checks the local clock, so such a replica writes
// nothing and calls no agent.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/schema.js';
import type { Clock } from '../db/time.js';
import type { TransactionOpener } from '../db/transaction.js';
import { markLeaseTerm } from '../db/lease-term.js';
import { checkLeaseHeld, NotLeaderError, type LeaseHold } from './lease.js';

export type { TransactionOpener };

/** ClaimWrites is used by the reconciler: its transactions, and a check before each action. */
export interface ClaimWrites extends TransactionOpener {
  /** Throws NotLeaderError when this replica may no longer act (before agent calls too). */
  assertHeld(): void;
}

/** LeaseFenceOptions is used to tie a fence to one term of the lease. */
export interface LeaseFenceOptions {
  db: Kysely<Database>;
  hold: LeaseHold;
  /** True on MySQL: the check takes a shared lock on the lease row (see checkLeaseHeld). */
  supportsRowLocks: boolean;
  /** The wall clock the lease row's times are written with. */
  clock: Clock;
  /** performance.now() past which the term is over by the local clock (renewals move it). */
  heldUntil(): number;
  /** Called on every refused write or action, so the controller stops leading at once. */
  onRefused(why: string): void;
}

/** createLeaseFence is used once per term of leading: every claim write of that term goes through it. */
export function createLeaseFence(opts: LeaseFenceOptions): ClaimWrites {
  const refuse = (why: string): never => {
    opts.onRefused(why);
    throw new NotLeaderError(why);
  };
  const assertHeld = (): void => {
    if (performance.now() >= opts.heldUntil()) refuse('the lease ran out by the local clock');
  };
  return {
    assertHeld,
    transaction: () => ({
      execute: async <T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> => {
        assertHeld();
        return opts.db.transaction().execute(async (trx) => {
          markLeaseTerm(trx, opts.hold.generation);
          const result = await fn(trx);
          // Last, right before the commit: see checkLeaseHeld for why not first.
          if (!(await checkLeaseHeld(trx, opts.hold, opts.clock.now(), opts.supportsRowLocks)))
            refuse(`lease generation ${opts.hold.generation} is no longer held`);
          return result;
        });
      },
    }),
  };
}

/** unfencedWrites is used where one process is the only writer by construction (tests). */
export function unfencedWrites(db: Kysely<Database>): ClaimWrites {
  return { transaction: () => db.transaction(), assertHeld: () => undefined };
}
