import type { Kysely } from 'kysely';
import { randomSecret } from '../auth/secrets.js';
import { isUniqueViolation } from './database.js';
import type { Database } from './schema.js';

/** ServerSecretName is used to name the secrets the server generates for itself. */
export type ServerSecretName =
  | 'jwt_signing_key'
  | 'agent_token_key'
  | 'frp_token'
  | 'frps_admin_password'
  | 'frp_plugin_key'
  | 'proxy_cookie_key';

/**
 * loadOrCreateSecret is used at start to get a server secret: generated once and kept in the
 * database, so every replica shares it and nothing secret is ever configured or committed.
 */
export async function loadOrCreateSecret(
  db: Kysely<Database>,
  name: ServerSecretName,
): Promise<string> {
  const existing = await read(db, name);
  if (existing !== undefined) return existing;
  // Two replicas may race here: insert-if-absent, then read back whichever won.
  await db
    .insertInto('settings')
    .values({ name, value: randomSecret(32) })
    .execute()
    .catch((e: unknown) => {
      if (!isUniqueViolation(e)) throw e;
    });
  const value = await read(db, name);
  if (value === undefined) throw new Error(`could not create the server secret ${name}`);
  return value;
}

async function read(db: Kysely<Database>, name: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('name', '=', name)
    .executeTakeFirst();
  return row?.value;
}
