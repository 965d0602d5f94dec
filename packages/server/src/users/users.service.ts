import { randomUUID } from 'node:crypto';
import type { CreateUserRequest, UpdateUserRequest, User } from '@utopia/shared';
import type { Kysely } from 'kysely';
import { isUniqueViolation } from '../db/database.js';
import type { Database, UserRow, UserUpdate } from '../db/schema.js';
import { isoAt, type Clock } from '../db/time.js';
import { hashPassword } from '../auth/password.js';
import { randomSecret } from '../auth/secrets.js';
import { Errors } from '../errors.js';
import { countUsers, findUserById, insertUser, updateUser } from './users.repository.js';

/** toUser is used to show a user row on the wire. */
export function toUser(row: UserRow): User {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    disabled: row.disabled === 1,
    gpuQuota: row.gpu_quota,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** createUser is used by admins (and at first start); a taken username is a 409. */
export async function createUser(
  db: Kysely<Database>,
  clock: Clock,
  req: CreateUserRequest,
): Promise<User> {
  const now = isoAt(clock.now());
  const row: UserRow = {
    id: randomUUID(),
    username: req.username,
    password_hash: await hashPassword(req.password),
    role: req.role ?? 'user',
    disabled: 0,
    gpu_quota: req.gpuQuota ?? null,
    created_at: now,
    updated_at: now,
    token_generation: 0,
  };
  try {
    await insertUser(db, row);
  } catch (e) {
    if (isUniqueViolation(e)) throw Errors.conflict(`username '${req.username}' is already taken`);
    throw e;
  }
  return toUser(row);
}

/**
 * endsSessions is used to decide whether a change ends the user's login sessions: a new password,
 * another role, or being disabled. A GPU quota change or re-enabling leaves them be.
 */
function endsSessions(before: UserRow, req: UpdateUserRequest): boolean {
  return (
    req.password !== undefined ||
    (req.role !== undefined && req.role !== before.role) ||
    (req.disabled === true && before.disabled === 0)
  );
}

/** changeUser is used by admins; an admin may not lock themselves out (demote or disable self). */
export async function changeUser(
  db: Kysely<Database>,
  clock: Clock,
  actorId: string,
  id: string,
  req: UpdateUserRequest,
): Promise<User> {
  if (id === actorId && (req.disabled === true || req.role === 'user')) {
    throw Errors.conflict('you cannot disable or demote your own account; ask another admin');
  }
  const before = await findUserById(db, id);
  if (!before) throw Errors.notFound('user', id);
  const update: UserUpdate = { updated_at: isoAt(clock.now()) };
  if (req.role !== undefined) update.role = req.role;
  if (req.disabled !== undefined) update.disabled = req.disabled ? 1 : 0;
  if (req.gpuQuota !== undefined) update.gpu_quota = req.gpuQuota;
  if (req.password !== undefined) update.password_hash = await hashPassword(req.password);
  const endSessions = endsSessions(before, req);
  if (!(await updateUser(db, id, update, { endSessions }))) throw Errors.notFound('user', id);
  const row = await findUserById(db, id);
  if (!row) throw Errors.notFound('user', id);
  return toUser(row);
}

/**
 * ensureAdmin is used at start: with no user at all, create `admin` with the configured password,
 * or a generated one that is returned so main can print it once.
 */
export async function ensureAdmin(
  db: Kysely<Database>,
  clock: Clock,
  configured: string | undefined,
): Promise<{ created: boolean; generatedPassword?: string }> {
  if ((await countUsers(db)) > 0) return { created: false };
  const password = configured ?? randomSecret(18);
  try {
    await createUser(db, clock, { username: 'admin', password, role: 'admin' });
  } catch (e) {
    // Another replica created it first.
    if (e instanceof Error && 'code' in e && e.code === 'CONFLICT') return { created: false };
    throw e;
  }
  return configured === undefined
    ? { created: true, generatedPassword: password }
    : { created: true };
}
