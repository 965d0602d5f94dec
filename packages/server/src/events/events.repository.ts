import type { Insertable, Kysely, Transaction } from 'kysely';
import { batchedRows } from '../db/group-commit.js';
import type { Database, EventRow, EventsTable } from '../db/schema.js';

type Conn = Kysely<Database> | Transaction<Database>;

/** NewEvent is used to record one thing that happened to a claim or node. */
export interface NewEvent {
  kind: EventsTable['object_kind'];
  objectId: string;
  type: EventsTable['type'];
  reason: string;
  message: string;
  at: string;
}

/** recordEvent is used in the same transaction as the change it describes; it answers the row. */
export async function recordEvent(db: Conn, e: NewEvent): Promise<Insertable<EventsTable>> {
  const row: Insertable<EventsTable> = {
    object_kind: e.kind,
    object_id: e.objectId,
    type: e.type,
    reason: e.reason,
    message: e.message.slice(0, 4000),
    created_at: e.at,
  };
  const batched = batchedRows(db, batchedEvents, (trx, rows) =>
    trx.insertInto('events').values(rows).execute(),
  );
  if (batched) batched.push(row);
  else await db.insertInto('events').values(row).execute();
  return row;
}

// Inside a group commit the batch's events go in as one multi-row INSERT at its end.
const batchedEvents = new WeakMap<Transaction<Database>, Insertable<EventsTable>[]>();

/** listEvents is used to show an object's history, oldest first. */
export function listEvents(
  db: Conn,
  kind: EventsTable['object_kind'],
  objectId: string,
): Promise<EventRow[]> {
  return db
    .selectFrom('events')
    .selectAll()
    .where('object_kind', '=', kind)
    .where('object_id', '=', objectId)
    .orderBy('id')
    .execute();
}

/** deleteEvents is used when the object itself is removed. */
export async function deleteEvents(
  db: Conn,
  kind: EventsTable['object_kind'],
  objectId: string,
): Promise<void> {
  await db
    .deleteFrom('events')
    .where('object_kind', '=', kind)
    .where('object_id', '=', objectId)
    .execute();
}

/** EventScope is used to say which events a caller may see and asked for. */
export interface EventScope {
  /** Set for a plain user: claim events only of the claims they own (node events for all). */
  ownerId?: string;
  nodeId?: string;
  claimId?: string;
  limit: number;
}

/** ScopedEventRow is used for an event with the name of the claim or node it is about. */
export type ScopedEventRow = Pick<
  EventRow,
  'id' | 'object_kind' | 'object_id' | 'type' | 'reason' | 'message' | 'created_at'
> & { claim_name: string | null; node_name: string | null };

/**
 * listRecentEvents is used to show the cluster's recent events, newest first: claim and node
 * events (not user events, which are an admin's business), narrowed by the caller's scope.
 */
export function listRecentEvents(db: Conn, scope: EventScope): Promise<ScopedEventRow[]> {
  let q = db
    .selectFrom('events')
    .leftJoin('gpu_claims', (j) =>
      j.onRef('gpu_claims.id', '=', 'events.object_id').on('events.object_kind', '=', 'GpuClaim'),
    )
    .leftJoin('nodes', (j) =>
      j.onRef('nodes.id', '=', 'events.object_id').on('events.object_kind', '=', 'Node'),
    )
    .select([
      'events.id',
      'events.object_kind',
      'events.object_id',
      'events.type',
      'events.reason',
      'events.message',
      'events.created_at',
      'gpu_claims.name as claim_name',
      'nodes.hostname as node_name',
    ])
    .where('events.object_kind', 'in', ['GpuClaim', 'Node']);
  const { ownerId, nodeId, claimId } = scope;
  if (ownerId !== undefined)
    q = q.where((eb) =>
      eb.or([eb('events.object_kind', '=', 'Node'), eb('gpu_claims.owner_id', '=', ownerId)]),
    );
  if (nodeId !== undefined)
    q = q.where('events.object_kind', '=', 'Node').where('events.object_id', '=', nodeId);
  if (claimId !== undefined)
    q = q.where('events.object_kind', '=', 'GpuClaim').where('events.object_id', '=', claimId);
  return q.orderBy('events.id', 'desc').limit(scope.limit).execute();
}
