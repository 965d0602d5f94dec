import { randomUUID } from 'node:crypto';
import type { CreateClaimRequest, GpuClaim } from '@utopia/shared';
import type { UserPrincipal } from '../auth/principal.js';
import type { Db } from '../db/database.js';
import { isUniqueViolation } from '../db/database.js';
import type { Transaction } from 'kysely';
import type { GroupCommit } from '../db/group-commit.js';
import type { ClaimRow, Database } from '../db/schema.js';
import { isoAt, type Clock } from '../db/time.js';
import { Errors } from '../errors.js';
import { recordEvent } from '../events/events.repository.js';
import { checkGpuCount } from '../nodes/cluster-limits.js';
import { toClaim } from './claim-view.js';
import {
  findClaim,
  insertClaim,
  newClaimRow,
  liveGpuCount,
  requestDeletion,
  StaleClaimError,
} from './claims.repository.js';

// Utopia sets these itself from the GPUs the server chose; a user's value would be a lie.
const RESERVED_ENV = new Set(['NVIDIA_VISIBLE_DEVICES', 'CUDA_VISIBLE_DEVICES', 'UTOPIA_GPU_IDS']);

async function validateSpec(db: Db, req: CreateClaimRequest): Promise<void> {
  for (const name of Object.keys(req.spec.env ?? {})) {
    if (RESERVED_ENV.has(name) || name.startsWith('UTOPIA_')) {
      throw Errors.validation(`spec.env.${name} is set by Utopia from the GPUs it assigns`, [
        { field: `spec.env.${name}`, message: 'is reserved' },
      ]);
    }
  }
  checkMountPaths(req.spec);
  const wanted = req.spec.resources.gpuCount;
  const checked = await checkGpuCount(db.kysely, wanted);
  // 409, not 400: the spec is valid, it conflicts with the cluster as it is now.
  if (!checked.admitted) {
    const largest = checked.limits.largestGpuCount;
    throw Errors.conflict(
      `spec.resources.gpuCount ${wanted} is more than any node has (largest: ${largest})`,
      [{ field: 'spec.resources.gpuCount', message: `must be at most ${largest}` }],
    );
  }
}

// Two mounts at one path would fail only at the node, as a Failed claim: say so at once. A 409,
// as for a gpuCount no node has: each entry is valid alone (the schema cannot say "unique by
// mountPath"); together they conflict.
function checkMountPaths(spec: CreateClaimRequest['spec']): void {
  const mounts = [
    ...(spec.volumes ?? []).map((v, i) => ({ field: `spec.volumes.${i}`, path: v.mountPath })),
    ...(spec.hostPaths ?? []).map((h, i) => ({ field: `spec.hostPaths.${i}`, path: h.mountPath })),
  ];
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.path))
      throw Errors.conflict(`${m.field}.mountPath: another mount is already at ${m.path}`, [
        { field: `${m.field}.mountPath`, message: 'is used twice' },
      ]);
    seen.add(m.path);
  }
}

/**
 * createClaim is used by POST /api/gpu-claims. The quota check and the insert share one
 * transaction that first locks the owner's row, so two concurrent claims cannot both squeeze
 * under the quota (on SQLite, writers are serialised anyway). Concurrent POSTs share that
 * transaction through `inserts` (group commit): each one's check sees the claims inserted before
 * it in the batch, and each request is answered only once its batch committed; a refused one
 * (quota, duplicate name) is retried alone and fails alone.
 * It answers the claim as committed (built from the rows it wrote, not read back): the state the
 * POST created, whatever the controller does next.
 */
export async function createClaim(
  db: Db,
  inserts: GroupCommit,
  clock: Clock,
  owner: UserPrincipal,
  req: CreateClaimRequest,
): Promise<GpuClaim> {
  await validateSpec(db, req);
  const id = randomUUID();
  const at = isoAt(clock.now());
  try {
    return await inserts((trx) =>
      insertWithinQuota(trx, db.supportsRowLocks, owner, req, { id, at }),
    );
  } catch (e) {
    if (isUniqueViolation(e))
      throw Errors.conflict(`you already have a claim named '${req.name ?? ''}'`);
    throw e;
  }
}

// The quotas each open transaction has read, and locked, so far: a group-commit batch holds the
// owner's row from its first insert to its commit, so the quota cannot change under the later ones.
const quotasLocked = new WeakMap<Transaction<Database>, Map<string, number | null>>();

async function lockedQuota(
  trx: Transaction<Database>,
  supportsRowLocks: boolean,
  userId: string,
): Promise<number | null> {
  let known = quotasLocked.get(trx);
  if (!known) quotasLocked.set(trx, (known = new Map()));
  const held = known.get(userId);
  if (held !== undefined) return held;
  let userQuery = trx.selectFrom('users').select(['gpu_quota']).where('id', '=', userId);
  if (supportsRowLocks) userQuery = userQuery.forUpdate();
  const { gpu_quota } = await userQuery.executeTakeFirstOrThrow();
  known.set(userId, gpu_quota);
  return gpu_quota;
}

async function insertWithinQuota(
  trx: Transaction<Database>,
  supportsRowLocks: boolean,
  owner: UserPrincipal,
  req: CreateClaimRequest,
  { id, at }: { id: string; at: string },
): Promise<GpuClaim> {
  const gpuCount = req.spec.resources.gpuCount;
  const quota = await lockedQuota(trx, supportsRowLocks, owner.userId);
  if (quota !== null) {
    const used = await liveGpuCount(trx, owner.userId);
    if (used + gpuCount > quota) {
      throw Errors.quotaExceeded(
        `GPU quota exceeded: ${used} of ${quota} GPUs in use, ${gpuCount} more asked`,
      );
    }
  }
  const row = newClaimRow({
    id,
    name: req.name ?? `claim-${id.slice(0, 8)}`,
    ownerId: owner.userId,
    spec: req.spec,
    at,
    ...(req.labels === undefined ? {} : { labels: req.labels }),
    ...(req.annotations === undefined ? {} : { annotations: req.annotations }),
  });
  // Without a quota nothing reads this owner's claims again in the transaction: batch the row.
  const shown = await insertClaim(trx, row, owner.username, { joinBatch: quota === null });
  const created = await recordEvent(trx, {
    kind: 'GpuClaim',
    objectId: id,
    type: 'Normal',
    reason: 'Created',
    message: `${gpuCount} GPU(s) of image ${req.spec.image} requested by ${owner.username}`,
    at,
  });
  return toClaim(shown, [created]);
}

/**
 * requestClaimDeletion is used by DELETE /api/gpu-claims/:id: deletion is a request. It records
 * the intent; the controller then moves the claim to Terminating, removes its container, frees
 * its GPUs and removes the row.
 */
export async function requestClaimDeletion(
  db: Db,
  clock: Clock,
  id: string,
  canSee: (c: ClaimRow) => boolean,
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const claim = await findClaim(db.kysely, id);
    if (!claim || !canSee(claim)) throw Errors.notFound('claim', id);
    if (claim.deletion_requested_at !== null) return;
    const at = isoAt(clock.now());
    try {
      await db.kysely.transaction().execute(async (trx) => {
        if (!(await requestDeletion(trx, claim, at))) throw new StaleClaimError(claim.id);
        await recordEvent(trx, {
          kind: 'GpuClaim',
          objectId: claim.id,
          type: 'Normal',
          reason: 'Deleting',
          message: 'deletion requested',
          at,
        });
      });
      return;
    } catch (e) {
      if (!(e instanceof StaleClaimError)) throw e;
    }
  }
  throw Errors.conflict('claim is changing quickly; retry the delete');
}
