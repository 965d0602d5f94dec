import { EventList, ListEventsQuery, type ClusterEvent } from '@utopia/shared';
import { currentUser } from '../auth/access.js';
import type { RoutesPlugin } from '../context.js';
import { errors } from '../http/responses.js';
import { listRecentEvents, type ScopedEventRow } from './events.repository.js';

function toClusterEvent(row: ScopedEventRow): ClusterEvent {
  const isNode = row.object_kind === 'Node';
  return {
    id: row.id,
    kind: isNode ? 'Node' : 'GpuClaim',
    objectId: row.object_id,
    // The object goes with its events, so a name is there; the id is a fallback all the same.
    objectName: (isNode ? row.node_name : row.claim_name) ?? row.object_id,
    type: row.type,
    reason: row.reason,
    message: row.message,
    time: row.created_at,
  };
}

/**
 * eventRoutes is used to serve GET /api/events: the cluster's recent events for the web UI's
 * overview and node pages. Node events are for every user (nodes are); claim events for the
 * claim's owner and admins, as the claim itself is.
 */
export const eventRoutes: RoutesPlugin = async (app, { ctx }) => {
  app.get(
    '/api/events',
    {
      config: { access: 'user' },
      schema: {
        tags: ['events'],
        summary:
          "Recent events of claims and nodes, newest first (yours and the nodes'; admins see all)",
        description:
          "`nodeId=` keeps that node's own events, `claimId=` that claim's (another user's claim: none); both at once match nothing (no event is of a node and a claim).",
        querystring: ListEventsQuery,
        response: { 200: EventList, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const p = currentUser(request);
      const { limit = 50, nodeId, claimId } = request.query;
      const rows = await listRecentEvents(ctx.db.kysely, {
        ...(p.role === 'admin' ? {} : { ownerId: p.userId }),
        ...(nodeId === undefined ? {} : { nodeId }),
        ...(claimId === undefined ? {} : { claimId }),
        limit,
      });
      return { items: rows.map(toClusterEvent) };
    },
  );
};
