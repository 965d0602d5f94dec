import type { ClaimSpec } from '@utopia/shared';
import type { Kysely, Transaction, Updateable } from 'kysely';
import type { ClaimRow, Database, GpuClaimsTable, ReservationRow } from '../db/schema.js';
import { batchedRows } from '../db/group-commit.js';
import { inTransaction } from '../db/transaction.js';
import {
  findClaimWithNames,
  recordClaimChange,
  recordClaimRow,
  rowAfterUpdate,
  type ClaimBefore,
} from './claim-changes.js';
import type { ClaimRowWithNames } from './claim-view.js';

// Every query on gpu_claims and gpu_reservations lives here; the controller alone writes status.
// Each write of a claim row also records a change-log row (watch/) in the same transaction.
type Conn = Kysely<Database> | Transaction<Database>;

export { formatGpuIds, parseGpuIds } from './gpu-ids.js';

/** StaleClaimError is used when a claim changed between read and write: re-read and retry. */
export class StaleClaimError extends Error {
  constructor(id: string) {
    super(`claim ${id} changed concurrently`);
    this.name = 'StaleClaimError';
  }
}

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
 * version that was read, so a lost race re-reads instead of overwriting. It answers the row as
 * written (undefined: the race was lost). Given the row it guards (`before`, read with its
 * names), the change log gets that row updated in memory instead of a read back.
 */
export async function updateClaimGuarded(
  db: Conn,
  id: string,
  version: number,
  update: ClaimUpdate,
  before?: ClaimBefore,
): Promise<ClaimRowWithNames | undefined> {
  return inTransaction(db, async (trx) => {
    const result = await trx
      .updateTable('gpu_claims')
      .set({ ...update, version: version + 1 })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return undefined;
    const known =
      before?.row.id === id && before.row.version === version
        ? rowAfterUpdate(before, update, version + 1)
        : undefined;
    if (!known) return recordClaimChange(trx, id, 'MODIFIED');
    await recordClaimRow(trx, known, 'MODIFIED');
    return known;
  });
}

/** ClaimReservations is used for the GPUs one bind reserves, and the claim that holds them. */
interface ClaimReservations {
  claimId: string;
  rows: ReservationRow[];
}

/**
 * reserveGpus is used when binding a claim: what the claim held before is released and the chosen
 * GPUs reserved; the (node, GPU) primary key refuses a double booking. Inside a group commit the
 * batch's binds go in as one DELETE and one multi-row INSERT at its end (a conflict there fails
 * the batch, whose writes are then retried alone, so only the loser fails).
 */
export async function reserveGpus(
  db: Conn,
  claimId: string,
  nodeId: string,
  indices: readonly number[],
  at: string,
): Promise<void> {
  const bind: ClaimReservations = {
    claimId,
    rows: indices.map((gpu_index) => ({
      node_id: nodeId,
      gpu_index,
      claim_id: claimId,
      created_at: at,
    })),
  };
  const batched = batchedRows(db, batchedBinds, writeReservations);
  if (batched) batched.push(bind);
  else await writeReservations(db, [bind]);
}

// Inside a group commit the batch's binds are written together at its end.
const batchedBinds = new WeakMap<Transaction<Database>, ClaimReservations[]>();

async function writeReservations(db: Conn, binds: readonly ClaimReservations[]): Promise<void> {
  await db
    .deleteFrom('gpu_reservations')
    .where(
      'claim_id',
      'in',
      binds.map((b) => b.claimId),
    )
    .execute();
  const rows = binds.flatMap((b) => b.rows);
  if (rows.length > 0) await db.insertInto('gpu_reservations').values(rows).execute();
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

/** newClaimRow is used to build a new claim's row: Pending, waiting for the scheduler. */
export function newClaimRow(c: {
  id: string;
  name: string;
  ownerId: string;
  spec: ClaimSpec;
  at: string;
  labels?: Readonly<Record<string, string>>;
  annotations?: Readonly<Record<string, string>>;
}): ClaimRow {
  return {
    id: c.id,
    name: c.name,
    owner_id: c.ownerId,
    spec: JSON.stringify(c.spec),
    gpu_count: c.spec.resources.gpuCount,
    phase: 'Pending',
    node_id: null,
    gpu_ids: null,
    container_id: null,
    reason: 'Created',
    message: 'waiting for the scheduler',
    restart_count: 0,
    exit_code: null,
    deletion_requested_at: null,
    reschedule_requested_at: null,
    placement: null,
    phase_changed_at: c.at,
    created_at: c.at,
    updated_at: c.at,
    version: 1,
    cpu_millis: cpuMillis(c.spec.resources.cpus),
    memory_mib: c.spec.resources.memoryMiB ?? 0,
    labels: c.labels === undefined ? null : JSON.stringify(c.labels),
    annotations: c.annotations === undefined ? null : JSON.stringify(c.annotations),
  };
}

/** cpuMillis is used to count CPUs in thousandths, as the scheduler sums them; 0: no limit. */
export function cpuMillis(cpus: number | undefined): number {
  return cpus === undefined ? 0 : Math.round(cpus * 1000);
}

/**
 * insertClaim is used once per claim, by the API, in the transaction that checked the quota. It
 * answers the row as the API shows it: a new claim is on no node, and with the owner's name
 * given nothing is read back. With `joinBatch`, inside a group commit the row goes in with the
 * batch's others as one multi-row INSERT at its end: only for a caller that reads no claims in
 * that transaction afterwards (a quota count would miss it).
 */
export async function insertClaim(
  db: Conn,
  row: ClaimRow,
  ownerName?: string,
  { joinBatch = false }: { joinBatch?: boolean } = {},
): Promise<ClaimRowWithNames> {
  return inTransaction(db, async (trx) => {
    const batched = joinBatch ? batchedRows(trx, batchedInserts, insertClaimRows) : undefined;
    if (batched) batched.push(row);
    else await insertClaimRows(trx, [row]);
    if (ownerName === undefined || row.node_id !== null)
      return recordClaimChange(trx, row.id, 'ADDED');
    const shown: ClaimRowWithNames = { ...row, owner_name: ownerName, node_hostname: null };
    await recordClaimRow(trx, shown, 'ADDED');
    return shown;
  });
}

// Inside a group commit the batch's new claims go in together at its end.
const batchedInserts = new WeakMap<Transaction<Database>, ClaimRow[]>();

async function insertClaimRows(db: Conn, rows: readonly ClaimRow[]): Promise<void> {
  await db.insertInto('gpu_claims').values(rows).execute();
}

/**
 * requestDeletion is used by the API to record the user's intent; the controller then moves the
 * claim to Terminating and removes it. It answers false when the claim changed meanwhile.
 */
export async function requestDeletion(
  db: Conn,
  claim: Pick<ClaimRow, 'id' | 'version'>,
  at: string,
): Promise<boolean> {
  const written = await updateClaimGuarded(db, claim.id, claim.version, {
    deletion_requested_at: at,
    updated_at: at,
  });
  return written !== undefined;
}

/**
 * requestReschedule is used by a node drain to record its intent on every claim bound to the
 * node, in one statement; the controller then moves each. It answers the ids it marked.
 */
export async function requestReschedule(db: Conn, nodeId: string, at: string): Promise<string[]> {
  return inTransaction(db, async (trx) => {
    const rows = await trx
      .selectFrom('gpu_claims')
      .select('id')
      .where('node_id', '=', nodeId)
      .where('phase', 'in', ['Scheduled', 'Running'])
      .where('deletion_requested_at', 'is', null)
      .execute();
    const ids = rows.map((r) => r.id);
    // One claim at a time, so the change log records exactly the claims that were marked.
    // Guarded by node: a claim that moved off this node meanwhile is not marked.
    for (const id of ids) {
      const marked = await trx
        .updateTable('gpu_claims')
        .set((eb) => ({
          reschedule_requested_at: at,
          updated_at: at,
          version: eb('version', '+', 1),
        }))
        .where('id', '=', id)
        .where('node_id', '=', nodeId)
        .executeTakeFirst();
      if (marked.numUpdatedRows > 0n) await recordClaimChange(trx, id, 'MODIFIED');
    }
    return ids;
  });
}

/** deleteClaimGuarded is used by the controller to remove a terminated claim's row. */
export async function deleteClaimGuarded(
  db: Conn,
  claim: Pick<ClaimRow, 'id' | 'version'>,
): Promise<boolean> {
  return inTransaction(db, async (trx) => {
    // Read first: the change log keeps the claim's last state for its DELETED entry.
    const last = await findClaimWithNames(trx, claim.id);
    if (!last || last.version !== claim.version) return false;
    const gone = await trx
      .deleteFrom('gpu_claims')
      .where('id', '=', claim.id)
      .where('version', '=', claim.version)
      .executeTakeFirst();
    if (gone.numDeletedRows === 0n) return false;
    await recordClaimRow(trx, last, 'DELETED');
    return true;
  });
}

/** claimIdsOnNode is used when a node changes state, to wake every claim bound to it. */
export async function claimIdsOnNode(db: Conn, nodeId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('gpu_claims')
    .select('id')
    .where('node_id', '=', nodeId)
    .execute();
  return rows.map((r) => r.id);
}

/**
 * ClaimPlacement is used by the orphan sweep: where a claim is bound, to which container, and
 * when the row was last written.
 */
export type ClaimPlacement = Pick<
  ClaimRow,
  'id' | 'node_id' | 'phase' | 'container_id' | 'updated_at'
>;

/** findClaimPlacements is used by the orphan sweep to look up the claims a node's containers name. */
export async function findClaimPlacements(
  db: Conn,
  ids: readonly string[],
): Promise<ClaimPlacement[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom('gpu_claims')
    .select(['id', 'node_id', 'phase', 'container_id', 'updated_at'])
    .where('id', 'in', ids)
    .execute();
}

/**
 * claimIdsToResync is used by the leader's periodic resync: every claim in a phase the controller
 * is still moving, and Running claims only when a user asked something of them (a deletion, a
 * reschedule or drain) or their node is not Online. A Running claim's container is watched by its
 * node's poll instead (orphan-container-sweep.ts), so 10,000 of them cost no reconcile each per
 * resync.
 */
export async function claimIdsToResync(db: Conn): Promise<string[]> {
  const rows = await db
    .selectFrom('gpu_claims')
    .select('id')
    .where((eb) =>
      eb.or([
        eb('phase', 'in', ['Pending', 'Scheduled', 'Terminating']),
        eb('deletion_requested_at', 'is not', null),
        eb('reschedule_requested_at', 'is not', null),
        // A node deleted or gone Offline through another replica: no poll watches its claims.
        eb('node_id', 'not in', eb.selectFrom('nodes').select('id').where('status', '=', 'Online')),
      ]),
    )
    .orderBy('created_at')
    .execute();
  return rows.map((r) => r.id);
}

/**
 * claimPlacementsByNode is used once per health-poll round: every claim bound to a node, by node,
 * so each node's container list can be compared with what should run there.
 */
export async function claimPlacementsByNode(db: Conn): Promise<Map<string, ClaimPlacement[]>> {
  const rows = await db
    .selectFrom('gpu_claims')
    .select(['id', 'node_id', 'phase', 'container_id', 'updated_at'])
    .where('node_id', 'is not', null)
    .execute();
  const byNode = new Map<string, ClaimPlacement[]>();
  for (const r of rows) {
    if (r.node_id === null) continue;
    const list = byNode.get(r.node_id);
    if (list) list.push(r);
    else byNode.set(r.node_id, [r]);
  }
  return byNode;
}

/** countClaimsByPhase is used by the metrics endpoint. */
export async function countClaimsByPhase(db: Conn): Promise<Map<ClaimRow['phase'], number>> {
  const rows = await db
    .selectFrom('gpu_claims')
    .select(['phase', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('phase')
    .execute();
  return new Map(rows.map((r) => [r.phase, Number(r.n)]));
}

/** listReservations is used to read every GPU reservation for a scheduling snapshot. */
export async function listReservations(
  db: Conn,
): Promise<Pick<ReservationRow, 'node_id' | 'gpu_index' | 'claim_id'>[]> {
  return db.selectFrom('gpu_reservations').select(['node_id', 'gpu_index', 'claim_id']).execute();
}

/** reservationHolders is used to show which claim holds each GPU, per node. */
export async function reservationHolders(
  db: Conn,
  nodeId?: string,
): Promise<Map<string, Map<number, string>>> {
  let q = db.selectFrom('gpu_reservations').select(['node_id', 'gpu_index', 'claim_id']);
  if (nodeId !== undefined) q = q.where('node_id', '=', nodeId);
  const out = new Map<string, Map<number, string>>();
  for (const r of await q.execute()) {
    const m = out.get(r.node_id) ?? new Map<number, string>();
    m.set(r.gpu_index, r.claim_id);
    out.set(r.node_id, m);
  }
  return out;
}

/** countReservationsByNode is used by the metrics endpoint: reserved GPUs per node id. */
export async function countReservationsByNode(db: Conn): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('gpu_reservations')
    .select(['node_id', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('node_id')
    .execute();
  return new Map(rows.map((r) => [r.node_id, Number(r.n)]));
}
