import type { Kysely } from 'kysely';
import { applyTransition, backToPendingUpdate } from '../claims/claim-transitions.js';
import type { Database } from '../db/schema.js';
import { isoAt, type Clock } from '../db/time.js';
import { Errors } from '../errors.js';
import { deleteEvents } from '../events/events.repository.js';
import { updateNodeGuarded } from './nodes.repository.js';

/**
 * deleteNode is used by admins: the node row goes (so its credential stops working at once), its
 * claims lose their GPUs and go back to Pending to be placed elsewhere, in one transaction. It
 * answers the ids of the claims that moved, so the controller can act on them.
 */
export async function deleteNode(
  db: Kysely<Database>,
  clock: Clock,
  nodeId: string,
): Promise<string[]> {
  const at = isoAt(clock.now());
  return db.transaction().execute(async (trx) => {
    const node = await trx
      .selectFrom('nodes')
      .select(['id', 'hostname'])
      .where('id', '=', nodeId)
      .executeTakeFirst();
    if (!node) throw Errors.notFound('node', nodeId);
    const claims = await trx
      .selectFrom('gpu_claims')
      .selectAll()
      .where('node_id', '=', nodeId)
      .execute();
    for (const claim of claims) {
      // A claim being deleted only needs its GPUs back; the controller then removes it.
      const update =
        claim.phase === 'Terminating'
          ? { node_id: null, container_id: null }
          : backToPendingUpdate('NodeDeleted', `node ${node.hostname} was deleted`);
      await applyTransition(
        trx,
        claim,
        update,
        {
          type: 'Warning',
          reason: 'NodeDeleted',
          message: `node ${node.hostname} was deleted; GPUs released`,
        },
        at,
        { releaseGpus: true },
      );
    }
    await trx.deleteFrom('gpu_reservations').where('node_id', '=', nodeId).execute();
    await trx.deleteFrom('nodes').where('id', '=', nodeId).execute();
    await deleteEvents(trx, 'Node', nodeId);
    return claims.map((c) => c.id);
  });
}

/**
 * drainNode is used by admins before maintenance: the node is cordoned and each of its claims
 * goes back to Pending to be placed elsewhere, in one transaction. The containers left behind
 * are removed by the node's orphan sweep; the node being cordoned, nothing new lands on the GPUs
 * meanwhile. It answers the ids of the claims that moved.
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
      .select(['id', 'hostname', 'version'])
      .where('id', '=', nodeId)
      .executeTakeFirst();
    if (!node) throw Errors.notFound('node', nodeId);
    const cordoned = await updateNodeGuarded(trx, nodeId, node.version, {
      schedulable: 0,
      updated_at: at,
    });
    if (!cordoned) throw Errors.conflict('node changed meanwhile; retry the drain');
    const claims = await trx
      .selectFrom('gpu_claims')
      .selectAll()
      .where('node_id', '=', nodeId)
      .where('phase', 'in', ['Scheduled', 'Running'])
      .where('deletion_requested_at', 'is', null)
      .execute();
    const message = `node ${node.hostname} is being drained; rescheduling`;
    for (const claim of claims) {
      await applyTransition(
        trx,
        claim,
        backToPendingUpdate('NodeDrained', message),
        { type: 'Normal', reason: 'NodeDrained', message },
        at,
        {
          releaseGpus: true,
        },
      );
    }
    return claims.map((c) => c.id);
  });
}
