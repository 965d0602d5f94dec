import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { isoAt } from '../db/time.js';

/**
 * tryAcquireLease is used to become (or stay) the one replica that runs the controllers: it takes
 * the lease row if it is free, expired or already ours, and extends it. The database is the only
 * thing replicas need to agree through.
 */
export async function tryAcquireLease(
  db: Kysely<Database>,
  name: string,
  holder: string,
  durationMs: number,
  nowMs: number,
): Promise<boolean> {
  const now = isoAt(nowMs);
  const expires = isoAt(nowMs + durationMs);
  const taken = await db
    .updateTable('leases')
    .set({ holder, expires_at: expires, renewed_at: now })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('holder', '=', holder), eb('expires_at', '<', now)]))
    .executeTakeFirst();
  if (taken.numUpdatedRows > 0n) return true;
  try {
    await db
      .insertInto('leases')
      .values({ name, holder, expires_at: expires, renewed_at: now })
      .execute();
    return true;
  } catch (e) {
    if (isUniqueViolation(e)) return false; // someone else holds it
    throw e;
  }
}

/** releaseLease is used at shutdown, so another replica takes over at once instead of waiting. */
export async function releaseLease(
  db: Kysely<Database>,
  name: string,
  holder: string,
  nowMs: number,
): Promise<void> {
  await db
    .updateTable('leases')
    .set({ expires_at: isoAt(nowMs - 1) })
    .where('name', '=', name)
    .where('holder', '=', holder)
    .execute();
}
