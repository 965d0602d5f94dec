// Every query on resource_changes (the change log behind watch streams) lives here.
import { sql, type Insertable, type Kysely, type Transaction } from 'kysely';
import { batchedRows } from '../db/group-commit.js';
import { leaseTermOf } from '../db/lease-term.js';
import type { Db } from '../db/database.js';
import type {
  Database,
  ResourceChangeKind,
  ResourceChangeRow,
  ResourceChangesTable,
  ResourceChangeType,
} from '../db/schema.js';
import { inTransaction } from '../db/transaction.js';
import { isoAt } from '../db/time.js';

type Conn = Kysely<Database> | Transaction<Database>;

const COMPACTED_SETTING = 'resource_changes_compacted_rv';

/** ChangeInput is used to describe one write of a claim or node for the change log. */
export interface ChangeInput {
  kind: ResourceChangeKind;
  objectId: string;
  ownerId: string | null;
  type: ResourceChangeType;
  version: number;
  /** The object as the REST API shows it (for DELETED: as it was last). */
  object: unknown;
}

/**
 * recordChange is used by the claim and node repositories, inside the transaction of the write
 * it describes, so the log holds a change exactly when the write committed. Its time is the
 * wall clock, not the server's (test) clock: it only decides when compaction may drop the row.
 */
export async function recordChange(trx: Transaction<Database>, c: ChangeInput): Promise<void> {
  const row: Insertable<ResourceChangesTable> = {
    kind: c.kind,
    object_id: c.objectId,
    owner_id: c.ownerId,
    type: c.type,
    object_version: c.version,
    object: JSON.stringify(c.object),
    created_at: isoAt(Date.now()),
    lease_generation: leaseTermOf(trx),
  };
  // Inside a group commit: one multi-row INSERT at the batch's end, in the order of its writes.
  const batched = batchedRows(trx, batchedChanges, (t, rows) =>
    t.insertInto('resource_changes').values(rows).execute(),
  );
  if (batched) batched.push(row);
  else await trx.insertInto('resource_changes').values(row).execute();
}

const batchedChanges = new WeakMap<Transaction<Database>, Insertable<ResourceChangesTable>[]>();

/** readChanges is used by the change feed: rows after `after` (up to `through`), in rv order. */
export async function readChanges(
  db: Conn,
  after: number,
  limit: number,
  through?: number,
): Promise<ResourceChangeRow[]> {
  let q = db.selectFrom('resource_changes').selectAll().where('rv', '>', after);
  if (through !== undefined) q = q.where('rv', '<=', through);
  const rows = await q.orderBy('rv').limit(limit).execute();
  // A driver set to return BIGINT as text must not turn rv arithmetic into concatenation.
  return rows.map((r) => ({ ...r, rv: Number(r.rv) }));
}

/** latestRv is used to learn the newest committed resource version (the watermark if none). */
export async function latestRv(db: Conn): Promise<number> {
  const row = await db
    .selectFrom('resource_changes')
    .select((eb) => eb.fn.max('rv').as('rv'))
    .executeTakeFirst();
  const rv = row?.rv ?? null;
  return rv === null ? compactedThrough(db) : Number(rv);
}

/** nthNewestRv is used by the feed to start a little behind the newest row. */
export async function nthNewestRv(db: Conn, n: number): Promise<number | undefined> {
  const row = await db
    .selectFrom('resource_changes')
    .select('rv')
    .orderBy('rv', 'desc')
    .limit(1)
    .offset(n - 1)
    .executeTakeFirst();
  return row === undefined ? undefined : Number(row.rv);
}

/** compactedThrough is used to tell a resumable version from one whose changes are gone. */
export async function compactedThrough(db: Conn): Promise<number> {
  const row = await db
    .selectFrom('settings')
    .select('value')
    .where('name', '=', COMPACTED_SETTING)
    .executeTakeFirst();
  return row === undefined ? 0 : Number(row.value);
}

/** rvText is used to store the watermark so that text order is number order (portable max). */
function rvText(rv: number): string {
  return String(rv).padStart(20, '0');
}

/**
 * compactChanges is used periodically to drop old rows: every row up to the first one written at
 * or after `before`, and beyond that all but the newest `keepRows`. The newest row always stays,
 * and the watermark moves in the same transaction, so a reader that lost rows learns it.
 * It answers the new watermark.
 */
export async function compactChanges(
  db: Kysely<Database>,
  opts: { before: string; keepRows: number },
): Promise<number> {
  return inTransaction(db, async (trx) => {
    const newest = await nthNewestRv(trx, 1);
    const old = await compactedThrough(trx);
    if (newest === undefined) return old;
    const young = await trx
      .selectFrom('resource_changes')
      .select((eb) => eb.fn.min('rv').as('rv'))
      .where('created_at', '>=', opts.before)
      .executeTakeFirst();
    const byAge = young?.rv === null || young?.rv === undefined ? newest : Number(young.rv) - 1;
    const byCount = (await nthNewestRv(trx, opts.keepRows + 1)) ?? 0;
    const upTo = Math.min(Math.max(byAge, byCount), newest - 1);
    if (upTo <= old) return old;
    await trx.deleteFrom('resource_changes').where('rv', '<=', upTo).execute();
    await trx
      .updateTable('settings')
      .set({ value: rvText(upTo) })
      .where('name', '=', COMPACTED_SETTING)
      .where('value', '<', rvText(upTo))
      .execute();
    return upTo;
  });
}

/**
 * rvStep is used by the feed to know what "no gap" means: MySQL hands out auto-increment values
 * `auto_increment_increment` apart (1 unless set for multi-primary set-ups); SQLite by 1.
 */
export async function rvStep(db: Db): Promise<number> {
  if (db.kind !== 'mysql') return 1;
  const r = await sql<{ step: number | string }>`select @@auto_increment_increment as step`.execute(
    db.kysely,
  );
  const step = Number(r.rows[0]?.step ?? 1);
  return Number.isInteger(step) && step >= 1 ? step : 1;
}
