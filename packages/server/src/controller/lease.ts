import { sql, type Kysely, type Transaction } from 'kysely';
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
  // No transaction: a replica frozen inside one would keep the row locked (see checkLeaseHeld).
  const taken = await db
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
    const row = await db
      .selectFrom('leases')
      .select(['holder', 'generation'])
      .where('name', '=', name)
      .executeTakeFirst();
    // Someone may have taken it over between the two statements: then it is theirs.
    return row?.holder === holder
      ? { name, holder, generation: Number(row.generation) }
      : undefined;
  }
  try {
    await db
      .insertInto('leases')
      .values({ name, holder, expires_at: expires, renewed_at: now, generation: 1 })
      .execute();
    return { name, holder, generation: 1 };
  } catch (e) {
    if (isUniqueViolation(e)) return undefined; // someone else holds it
    throw e;
  }
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
  const renewed = await db
    .updateTable('leases')
    .set({ expires_at: isoAt(nowMs + durationMs), renewed_at: now })
    .where('name', '=', hold.name)
    .where('holder', '=', hold.holder)
    .where('generation', '=', hold.generation)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return renewed.numUpdatedRows > 0n;
}

/**
 * checkLeaseHeld is used as the last statement of every fenced controller write, right before its
 * commit: it finds the lease row only if this term still holds it, so the write commits only
 * under a live lease. On MySQL it takes a shared lock on the row, so a takeover (an update of the
 * row) waits for this commit, and writes still in flight then see the new generation. Shared and
 * last: concurrent writes never queue on the row, so a replica frozen with writes in flight does
 * not end up holding the lease row and blocking the takeover. On SQLite the transaction already
 * holds the database's write lock, which no other process's takeover can pass.
 */
export async function checkLeaseHeld(
  trx: Transaction<Database>,
  hold: LeaseHold,
  nowMs: number,
  rowLocks: boolean,
): Promise<boolean> {
  const now = isoAt(nowMs);
  let q = trx
    .selectFrom('leases')
    .select('generation')
    .where('name', '=', hold.name)
    .where('holder', '=', hold.holder)
    .where('generation', '=', hold.generation)
    .where('expires_at', '>', now);
  // MariaDB has no FOR SHARE; both read LOCK IN SHARE MODE.
  if (rowLocks) q = q.modifyEnd(sql`lock in share mode`);
  return (await q.executeTakeFirst()) !== undefined;
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
