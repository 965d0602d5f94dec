import type { Kysely } from 'kysely';
import type { AgentClient } from '../agent-client/agent-client.js';
import { claimIdsOnNode, requestReschedule } from '../claims/claims.repository.js';
import type { Database } from '../db/schema.js';
import { isoAt, type Clock } from '../db/time.js';
import { Errors } from '../errors.js';
import { deleteEvents } from '../events/events.repository.js';
import { deleteVolumesOfNode } from '../volumes/volumes.repository.js';
import { agentTargetOf } from './node-records.js';
import { deleteNodeRow, findNode, updateNodeGuarded } from './nodes.repository.js';

// Node removal records intent only; the controller moves the claims (only it writes claim status).

/** NodeRemovalDeps is used to let deleteNode ask the node's agent to stop its containers. */
export interface NodeRemovalDeps {
  db: Kysely<Database>;
  agents: AgentClient;
  agentTokenKey: string;
  log: (msg: string) => void;
}

/**
 * deleteNode is used by admins: first the node's agent is asked (best effort) to remove every
 * claim container it runs, so a claim never runs twice once it is placed elsewhere; then the
 * node row goes (its credential stops working at once). From that call on the agent refuses new
 * containers, so a create already on its way (a restart) cannot outlive the node. Its claims
 * find their node gone when the controller looks next and go back to Pending with their GPUs
 * released. An agent that could not be asked removes them itself when it learns it is unknown.
 * It answers the ids of the claims bound to the node, to wake the controller.
 */
export async function deleteNode(deps: NodeRemovalDeps, nodeId: string): Promise<string[]> {
  const { db } = deps;
  const row = await findNode(db, nodeId);
  if (!row) throw Errors.notFound('node', nodeId);
  const target = agentTargetOf(row, deps.agentTokenKey);
  if (target && row.status !== 'Offline') {
    // Outside the transaction: no network I/O while the database holds locks.
    await deps.agents.removeAllContainers(target).then(
      (ids) =>
        deps.log(`node ${row.hostname} deleted: its agent removed ${ids.length} container(s)`),
      (e: unknown) =>
        deps.log(
          `node ${row.hostname} deleted: its agent could not remove its containers (${e instanceof Error ? e.message : String(e)})`,
        ),
    );
  }
  return db.transaction().execute(async (trx) => {
    const node = await trx
      .selectFrom('nodes')
      .select(['id'])
      .where('id', '=', nodeId)
      .executeTakeFirst();
    if (!node) throw Errors.notFound('node', nodeId);
    const claims = await claimIdsOnNode(trx, nodeId);
    await deleteNodeRow(trx, nodeId);
    await deleteEvents(trx, 'Node', nodeId);
    // Its volumes stay on that machine, out of Utopia's reach: their records go with the node.
    await deleteVolumesOfNode(trx, nodeId);
    return claims;
  });
}

/**
 * drainNode is used by admins before maintenance: the node is cordoned and each claim bound to it
 * is marked to be moved, in one transaction; the controller then removes its container and
 * places it elsewhere. The node being cordoned, nothing new lands on its GPUs meanwhile. It
 * answers the ids of the claims marked.
 */
export async function drainNode(
  db: Kysely<Database>,
  clock: Clock,
  nodeId: string,
): Promise<string[]> {
  const at = isoAt(clock.now());
  return db.transaction().execute(async (trx) => {
    const node = await trx
      .selectFrom('nodes')
      .select(['id', 'version'])
      .where('id', '=', nodeId)
      .executeTakeFirst();
    if (!node) throw Errors.notFound('node', nodeId);
    const cordoned = await updateNodeGuarded(trx, nodeId, node.version, {
      schedulable: 0,
      updated_at: at,
    });
    if (!cordoned) throw Errors.conflict('node changed meanwhile; retry the drain');
    return requestReschedule(trx, nodeId, at);
  });
}
