import { dockerVolumeName, type Volume } from '@utopia/shared';
import type { Kysely } from 'kysely';
import { AgentCallError, type AgentClient } from '../agent-client/agent-client.js';
import type { UserPrincipal } from '../auth/principal.js';
import { parseSpec } from '../claims/claim-view.js';
import type { Database } from '../db/schema.js';
import { Errors } from '../errors.js';
import { agentTargetOf } from '../nodes/node-records.js';
import { findNode } from '../nodes/nodes.repository.js';
import { deleteVolumeRow, selectVolumes, type VolumeRowWithNames } from './volumes.repository.js';

/** VolumeDeps is used to give the volume service the database and the agents. */
export interface VolumeDeps {
  db: Kysely<Database>;
  agents: AgentClient;
  agentTokenKey: string;
}

const key = (ownerId: string, name: string, nodeId: string): string =>
  `${ownerId}\u0000${name}\u0000${nodeId}`;

/**
 * volumeUsers is used to find which claims mount each volume: a claim uses an owner's volume on
 * the node it was placed on for as long as it exists (a finished claim keeps its stopped
 * container, which Docker counts as a user, until the claim is deleted).
 */
async function volumeUsers(
  db: Kysely<Database>,
  ownerId: string | undefined,
): Promise<Map<string, string[]>> {
  let q = db
    .selectFrom('gpu_claims')
    .select(['id', 'owner_id', 'node_id', 'spec'])
    .where('node_id', 'is not', null)
    .orderBy('id');
  if (ownerId !== undefined) q = q.where('owner_id', '=', ownerId);
  const users = new Map<string, string[]>();
  for (const c of await q.execute()) {
    for (const v of parseSpec(c).volumes ?? []) {
      const k = key(c.owner_id, v.name, c.node_id ?? '');
      users.set(k, [...(users.get(k) ?? []), c.id]);
    }
  }
  return users;
}

function toVolume(row: VolumeRowWithNames, users: Map<string, string[]>): Volume {
  return {
    id: row.id,
    name: row.name,
    owner: row.owner_name,
    nodeId: row.node_id,
    nodeName: row.node_hostname,
    inUseBy: users.get(key(row.owner_id, row.name, row.node_id)) ?? [],
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
  };
}

/** listVolumes is used by GET /api/volumes: the caller's volumes (an admin's: all of them). */
export async function listVolumes(db: Kysely<Database>, p: UserPrincipal): Promise<Volume[]> {
  const ownerId = p.role === 'admin' ? undefined : p.userId;
  const rows = await selectVolumes(db, ownerId === undefined ? {} : { ownerId });
  const users = await volumeUsers(db, ownerId);
  return rows.map((r) => toVolume(r, users));
}

/**
 * deleteVolume is used by DELETE /api/volumes/:id: refused (409) while a claim bound to its node
 * mounts it; otherwise the node's agent removes the Docker volume, then the row goes. Another
 * user's volume is not found (404), as another user's claim is.
 */
export async function deleteVolume(deps: VolumeDeps, p: UserPrincipal, id: string): Promise<void> {
  const filter = p.role === 'admin' ? { id } : { id, ownerId: p.userId };
  const [row] = await selectVolumes(deps.db, filter);
  if (!row) throw Errors.notFound('volume', id);
  const users = (await volumeUsers(deps.db, row.owner_id)).get(
    key(row.owner_id, row.name, row.node_id),
  );
  if (users !== undefined && users.length > 0)
    throw Errors.conflict(`volume ${row.name} is in use by claim ${users.join(', ')}`);
  const node = await findNode(deps.db, row.node_id);
  const target =
    node && node.status !== 'Offline' ? agentTargetOf(node, deps.agentTokenKey) : undefined;
  if (!node || !target)
    throw Errors.unavailable(
      `node ${row.node_hostname ?? row.node_id} cannot be reached to remove volume ${row.name}; retry when it is Online`,
    );
  try {
    await deps.agents.deleteVolume(target, dockerVolumeName(row.owner_id, row.name));
  } catch (e) {
    if (e instanceof AgentCallError && e.reason === 'VOLUME_IN_USE')
      throw Errors.conflict(`volume ${row.name} is still mounted by a container on its node`);
    if (e instanceof AgentCallError)
      throw Errors.unavailable(`volume ${row.name} could not be removed: ${e.message}`);
    throw e;
  }
  await deleteVolumeRow(deps.db, row.id);
}
