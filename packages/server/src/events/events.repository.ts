import type { Kysely, Transaction } from 'kysely';
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

/** recordEvent is used in the same transaction as the change it describes. */
export async function recordEvent(db: Conn, e: NewEvent): Promise<void> {
  await db
    .insertInto('events')
    .values({
      object_kind: e.kind,
      object_id: e.objectId,
      type: e.type,
      reason: e.reason,
      message: e.message.slice(0, 4000),
      created_at: e.at,
    })
    .execute();
}

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
