import type { Kysely, Transaction } from 'kysely';
import type { Database, NewUser, UserRow, UserUpdate } from '../db/schema.js';

type Conn = Kysely<Database> | Transaction<Database>;

/** findUserById is used to load one user row. */
export function findUserById(db: Conn, id: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** findUserByUsername is used at login. */
export function findUserByUsername(db: Conn, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username', '=', username).executeTakeFirst();
}

/** listUsers is used by admins, ordered by username. */
export function listUsers(db: Conn): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().orderBy('username').execute();
}

/** insertUser is used to add a user; a duplicate username raises a unique violation. */
export async function insertUser(db: Conn, user: NewUser): Promise<void> {
  await db.insertInto('users').values(user).execute();
}

/**
 * updateUser is used to change a user's columns; it returns whether the row existed. With
 * `endSessions` it also bumps the token generation, so every login JWT issued before stops working.
 */
export async function updateUser(
  db: Conn,
  id: string,
  update: UserUpdate,
  opts: { endSessions: boolean } = { endSessions: false },
): Promise<boolean> {
  const result = await db
    .updateTable('users')
    .set(update)
    .$if(opts.endSessions, (q) =>
      q.set((eb) => ({ token_generation: eb('token_generation', '+', 1) })),
    )
    .where('id', '=', id)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** countUsers is used at first start to decide whether to create the admin account. */
export async function countUsers(db: Conn): Promise<number> {
  const row = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
