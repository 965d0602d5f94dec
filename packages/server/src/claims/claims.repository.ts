import type { Kysely, Transaction, Updateable } from 'kysely';
import type { ClaimRow, Database, GpuClaimsTable } from '../db/schema.js';

type Conn = Kysely<Database> | Transaction<Database>;

/** LIVE_PHASES is used wherever a claim still holds, or is about to hold, GPUs. */
export const LIVE_PHASES = ['Pending', 'Scheduled', 'Running', 'Terminating'] as const;

/** findClaim is used to load one claim row. */
export function findClaim(db: Conn, id: string): Promise<ClaimRow | undefined> {
  return db.selectFrom('gpu_claims').selectAll().where('id', '=', id).executeTakeFirst();
}

/** ClaimUpdate is used for a status change; the version is bumped by updateClaimGuarded. */
export type ClaimUpdate = Omit<Updateable<GpuClaimsTable>, 'id' | 'version' | 'owner_id' | 'spec'>;

/**
 * updateClaimGuarded is used for every claim write: it applies only if the row still has the
 * version that was read, so a lost race re-reads instead of overwriting.
 */
export async function updateClaimGuarded(
  db: Conn,
  id: string,
  version: number,
  update: ClaimUpdate,
): Promise<boolean> {
  const result = await db
    .updateTable('gpu_claims')
    .set({ ...update, version: version + 1 })
    .where('id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}

/** reserveGpus is used when binding a claim; the (node, GPU) primary key refuses a double booking. */
export async function reserveGpus(
  db: Conn,
  claimId: string,
  nodeId: string,
  indices: readonly number[],
  at: string,
): Promise<void> {
  if (indices.length === 0) return;
  await db
    .insertInto('gpu_reservations')
    .values(
      indices.map((gpu_index) => ({
        node_id: nodeId,
        gpu_index,
        claim_id: claimId,
        created_at: at,
      })),
    )
    .execute();
}

/** releaseGpus is used when a claim stops holding GPUs; it answers how many were released. */
export async function releaseGpus(db: Conn, claimId: string): Promise<number> {
  const result = await db
    .deleteFrom('gpu_reservations')
    .where('claim_id', '=', claimId)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** liveGpuCount is used for quotas: GPUs asked for by the owner's claims that are not finished. */
export async function liveGpuCount(db: Conn, ownerId: string): Promise<number> {
  const row = await db
    .selectFrom('gpu_claims')
    .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('gpu_count'), eb.lit(0)).as('n'))
    .where('owner_id', '=', ownerId)
    .where('phase', 'in', LIVE_PHASES)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** claimIdsInPhases is used by the resync and by node events to find claims to reconcile. */
export async function claimIdsInPhases(
  db: Conn,
  phases: readonly ClaimRow['phase'][],
): Promise<string[]> {
  const rows = await db
    .selectFrom('gpu_claims')
    .select('id')
    .where('phase', 'in', phases)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => r.id);
}

/** parseGpuIds is used to read gpu_claims.gpu_ids. */
export function parseGpuIds(row: Pick<ClaimRow, 'gpu_ids'>): number[] {
  if (row.gpu_ids === null || row.gpu_ids === '') return [];
  return row.gpu_ids.split(',').map(Number);
}

/** formatGpuIds is used to write gpu_claims.gpu_ids. */
export function formatGpuIds(ids: readonly number[]): string | null {
  return ids.length === 0 ? null : ids.join(',');
}
