import { randomUUID } from 'node:crypto';
import type { Kysely, Transaction } from 'kysely';
import type { Database, VolumeRow } from '../db/schema.js';

// Every query on the volumes table. A row says "this owner's volume of this name exists on this
// node" (the agent made it when a claim mounting it started there).
type Conn = Kysely<Database> | Transaction<Database>;

/** VolumeRowWithNames is used to show a volume: its row plus the owner's and node's names. */
export type VolumeRowWithNames = VolumeRow & { owner_name: string; node_hostname: string | null };

/**
 * recordVolumesUsed is used when a claim's container started: each of its named volumes is on
 * that node now. Insert-or-touch, one row per (owner, name, node).
 */
export async function recordVolumesUsed(
  trx: Transaction<Database>,
  v: { ownerId: string; names: readonly string[]; nodeId: string; at: string },
): Promise<void> {
  for (const name of v.names) {
    const touched = await trx
      .updateTable('volumes')
      .set({ last_used_at: v.at })
      .where('owner_id', '=', v.ownerId)
      .where('name', '=', name)
      .where('node_id', '=', v.nodeId)
      .executeTakeFirst();
    if (touched.numUpdatedRows > 0n) continue;
    await trx
      .insertInto('volumes')
      .values({
        id: randomUUID(),
        owner_id: v.ownerId,
        name,
        node_id: v.nodeId,
        created_at: v.at,
        last_used_at: v.at,
      })
      .execute();
  }
}

/** volumeNodes is used by the scheduler's volume affinity: name → the nodes holding it. */
export async function volumeNodes(
  db: Conn,
  ownerId: string,
  names: readonly string[],
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const name of names) out[name] = [];
  if (names.length === 0) return out;
  const rows = await db
    .selectFrom('volumes')
    .select(['name', 'node_id'])
    .where('owner_id', '=', ownerId)
    .where('name', 'in', [...names])
    .orderBy('node_id')
    .execute();
  for (const r of rows) out[r.name]?.push(r.node_id);
  return out;
}

/** selectVolumes is used by the API: one owner's volumes, or every volume, or one by id. */
export function selectVolumes(
  db: Conn,
  f: { ownerId?: string; id?: string },
): Promise<VolumeRowWithNames[]> {
  let q = db
    .selectFrom('volumes as v')
    .innerJoin('users as u', 'u.id', 'v.owner_id')
    .leftJoin('nodes as n', 'n.id', 'v.node_id')
    .selectAll('v')
    .select(['u.username as owner_name', 'n.hostname as node_hostname']);
  if (f.ownerId !== undefined) q = q.where('v.owner_id', '=', f.ownerId);
  if (f.id !== undefined) q = q.where('v.id', '=', f.id);
  return q.orderBy('v.name').orderBy('v.node_id').execute();
}

/** deleteVolumeRow is used once the agent removed the Docker volume. */
export async function deleteVolumeRow(db: Conn, id: string): Promise<void> {
  await db.deleteFrom('volumes').where('id', '=', id).execute();
}

/** deleteVolumesOfNode is used when a node is deleted: Utopia no longer reaches its volumes. */
export async function deleteVolumesOfNode(db: Conn, nodeId: string): Promise<void> {
  await db.deleteFrom('volumes').where('node_id', '=', nodeId).execute();
}
