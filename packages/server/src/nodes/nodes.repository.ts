import type { Node } from '@utopia/shared';
import type { Kysely, Transaction } from 'kysely';
import type { Database, NodeRow, NodesTable } from '../db/schema.js';
import type { Updateable } from 'kysely';
import { reservationHolders } from '../claims/claims.repository.js';
import { inTransaction } from '../db/transaction.js';
import { recordChange } from '../watch/changes.repository.js';
import { toNode } from './node-records.js';

// Each write of a node row also records a change-log row (watch/) in the same transaction.
type Conn = Kysely<Database> | Transaction<Database>;

/** findNode is used to load one node row. */
export function findNode(db: Conn, id: string): Promise<NodeRow | undefined> {
  return db.selectFrom('nodes').selectAll().where('id', '=', id).executeTakeFirst();
}

/** NodeReach is used for what the controller needs of a claim's node: is it up, and how to call it. */
export type NodeReach = Pick<NodeRow, 'id' | 'hostname' | 'status' | 'address' | 'tunnel_port'>;

/** findNodeReach is used by each reconcile: the node's columns it needs, not its GPU inventory. */
export function findNodeReach(db: Conn, id: string): Promise<NodeReach | undefined> {
  return db
    .selectFrom('nodes')
    .select(['id', 'hostname', 'status', 'address', 'tunnel_port'])
    .where('id', '=', id)
    .executeTakeFirst();
}

/** listNodes is used by the API, the scheduler and the health loop, in id order. */
export function listNodes(db: Conn): Promise<NodeRow[]> {
  return db.selectFrom('nodes').selectAll().orderBy('id').execute();
}

/** findNodeView is used to show one node as the API does: its row plus who holds each GPU. */
export async function findNodeView(
  db: Conn,
  id: string,
): Promise<{ node: Node; version: number } | undefined> {
  const row = await findNode(db, id);
  if (!row) return undefined;
  const holders = (await reservationHolders(db, id)).get(id) ?? new Map<number, string>();
  return { node: toNode(row, holders), version: row.version };
}

/** recordNodeChange is used after a node row was inserted or updated, in the same transaction. */
export async function recordNodeChange(
  trx: Transaction<Database>,
  id: string,
  type: 'ADDED' | 'MODIFIED',
): Promise<void> {
  const view = await findNodeView(trx, id);
  if (!view) throw new Error(`node ${id} vanished inside its own write`);
  await recordChange(trx, {
    kind: 'Node',
    objectId: id,
    ownerId: null,
    type,
    version: view.version,
    object: view.node,
  });
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
  return inTransaction(db, async (trx) => {
    const result = await trx
      .updateTable('nodes')
      .set({ ...update, version: version + 1 })
      .where('id', '=', id)
      .where('version', '=', version)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) return false;
    await recordNodeChange(trx, id, 'MODIFIED');
    return true;
  });
}

/** deleteNodeRow is used by node removal: the row goes, and the log keeps its last state. */
export async function deleteNodeRow(trx: Transaction<Database>, id: string): Promise<boolean> {
  const last = await findNodeView(trx, id);
  if (!last) return false;
  await trx.deleteFrom('nodes').where('id', '=', id).execute();
  await recordChange(trx, {
    kind: 'Node',
    objectId: id,
    ownerId: null,
    type: 'DELETED',
    version: last.version,
    object: last.node,
  });
  return true;
}
