import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import type { Database } from '../db/schema.js';
import { randomSecret } from './secrets.js';

const NAME = 'jwt_signing_key';

/**
 * loadOrCreateSigningKey is used at start to get the JWT signing key: generated once and kept in
 * the database, so every replica signs and verifies with the same key.
 */
export async function loadOrCreateSigningKey(db: Kysely<Database>): Promise<Uint8Array> {
  const existing = await read(db);
  if (existing !== undefined) return existing;
  // Two replicas may race here: insert-if-absent, then read back whichever won.
  await db
    .insertInto('settings')
    .values({ name: NAME, value: randomSecret(32) })
    .execute()
    .catch((e: unknown) => {
      if (!isUniqueViolation(e)) throw e;
    });
  const key = await read(db);
  if (key === undefined) throw new Error('could not create the JWT signing key');
  return key;
}

async function read(db: Kysely<Database>): Promise<Uint8Array | undefined> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('name', '=', NAME)
    .executeTakeFirst();
  return row ? Buffer.from(row.value, 'base64url') : undefined;
}
