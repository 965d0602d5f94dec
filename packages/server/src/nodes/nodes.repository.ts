import type { Kysely, Transaction } from 'kysely';
import type { Database, NodeRow, NodesTable } from '../db/schema.js';
import type { Updateable } from 'kysely';

type Conn = Kysely<Database> | Transaction<Database>;

/** findNode is used to load one node row. */
export function findNode(db: Conn, id: string): Promise<NodeRow | undefined> {
  return db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst();
}

/** listNodes is used by the API, the scheduler and the health loop, in id order. */
export function listNodes(db: Conn): Promise<NodeRow[]> {
  return db.selectFrom('nodes').selectAll().orderBy('id').execute();
}

/**
 * updateNodeGuarded is used for every node write: it applies only if the row still has the
 * version that was read (optimistic concurrency) and bumps it; false means "re-read and retry".
 */
export async function updateNodeGuarded(
  db: Conn,
  id: string,
  version: number,
  update: Omit<Updateable<NodesTable>, 'version' | 'id'>,
): Promise<boolean> {
  const result = await db
    .updateTable('nodes')
    .set({ ...update, version: version + 1 })
    .where('id', '=', id)
    .where('version', '=', version)
    .executeTakeFirst();
  return result.numUpdatedRows > 0n;
}
