import type { Kysely, Transaction, UpdateQueryBuilder, UpdateResult } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { isoAt } from '../db/time.js';

/** LeaseHold is used to name one term of holding a lease: who, and under which generation. */
export interface LeaseHold {
  name: string;
  holder: string;
  /** The fencing token: bumped on every takeover, so an older term's writes are refused. */
  generation: number;
}

/** NotLeaderError is used when a controller write finds the lease no longer held by this term. */
export class NotLeaderError extends Error {
  constructor(why: string) {
    super(`not the leader: ${why}`);
    this.name = 'NotLeaderError';
  }
}

/**
 * tryAcquireLease is used by a replica that does not lead to become the one that runs the
 * controllers: it takes the lease row if it is free, expired or ours (a term of ours that was cut
 * short), bumping its generation, and answers the new term; undefined when someone else holds it.
 * The database is the only thing replicas need to agree through.
 */
export async function tryAcquireLease(
  db: Kysely<Database>,
  name: string,
  holder: string,
  durationMs: number,
  nowMs: number,
): Promise<LeaseHold | undefined> {
  const now = isoAt(nowMs);
  const expires = isoAt(nowMs + durationMs);
  return db.transaction().execute(async (trx) => {
    const taken = await trx
      .updateTable('leases')
      .set((eb) => ({
        holder,
        expires_at: expires,
        renewed_at: now,
        generation: eb('generation', '+', 1),
      }))
      .where('name', '=', name)
      .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', now)]))
      .executeTakeFirst();
    if (taken.numUpdatedRows > 0n) {
      const row = await trx
        .selectFrom('leases')
        .select('generation')
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      return { name, holder, generation: Number(row.generation) };
    }
    try {
      await trx
        .insertInto('leases')
        .values({ name, holder, expires_at: expires, renewed_at: now, generation: 1 })
        .execute();
      return { name, holder, generation: 1 };
    } catch (e) {
      if (isUniqueViolation(e)) return undefined; // someone else holds it
      throw e;
    }
  });
}

/**
 * renewLease is used by the leader every third of the lease: it extends the lease only while this
 * very term still holds it (same holder and generation, not expired). False: the term is over.
 */
export async function renewLease(
  db: Kysely<Database>,
  hold: LeaseHold,
  durationMs: number,
  nowMs: number,
): Promise<boolean> {
  const now = isoAt(nowMs);
  const renewed = await whereHeld(
    db.updateTable('leases').set({ expires_at: isoAt(nowMs + durationMs), renewed_at: now }),
    hold,
    now,
  ).executeTakeFirst();
  return renewed.numUpdatedRows > 0n;
}

/**
 * checkLeaseHeld is used as the first statement of every fenced controller write: it touches the
 * lease row only if this term still holds it, so the write commits only under a live lease. On
 * MySQL the row lock it takes makes a takeover wait until the write is committed or rolled back.
 */
export async function checkLeaseHeld(
  trx: Transaction<Database>,
  hold: LeaseHold,
  nowMs: number,
): Promise<boolean> {
  const now = isoAt(nowMs);
  const touched = await whereHeld(
    trx.updateTable('leases').set({ renewed_at: now }),
    hold,
    now,
  ).executeTakeFirst();
  return touched.numUpdatedRows > 0n;
}

/** releaseLease is used at shutdown, so another replica takes over at once instead of waiting. */
export async function releaseLease(
  db: Kysely<Database>,
  hold: LeaseHold,
  nowMs: number,
): Promise<void> {
  await db
    .updateTable('leases')
    .set({ expires_at: isoAt(nowMs - 1) })
    .where('name', '=', hold.name)
    .where('holder', '=', hold.holder)
    .where('generation', '=', hold.generation)
    .execute();
}

type LeaseUpdate = UpdateQueryBuilder<Database, 'leases', 'leases', UpdateResult>;

function whereHeld(q: LeaseUpdate, hold: LeaseHold, now: string): LeaseUpdate {
  return q
    .where('name', '=', hold.name)
    .where('holder', '=', hold.holder)
    .where('generation', '=', hold.generation)
    .where('expires_at', '>', now);
}
