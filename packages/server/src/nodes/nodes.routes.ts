import {
  IdParams,
  Node,
  NodeList,
  NodeRegisterRequest,
  NodeRegisterResponse,
  NodeSelfUpdateRequest,
  NodeSelfUpdateResponse,
  UpdateNodeRequest,
  WatchHeaders,
  WatchQuery,
} from '@utopia/shared';
import { currentNodeId, currentUser } from '../auth/access.js';
import type { RoutesPlugin } from '../context.js';
import { isoAt } from '../db/time.js';
import { Errors } from '../errors.js';
import { errors, inline, NoContent, orEventStream } from '../http/responses.js';
import { wantsWatch } from '../watch/watch.service.js';
import { nodeWatchSource } from './node-watch.js';
import { deleteNode, drainNode } from './node-removal.service.js';
import { toNode } from './node-records.js';
import { reservationHolders } from '../claims/claims.repository.js';
import { findNode, findNodeView, listNodes, updateNodeGuarded } from './nodes.repository.js';
import { registerNode, updateNodeSelf } from './registration.service.js';

/** nodeRoutes is used by agents to join and report, and by people to see and manage nodes. */
export const nodeRoutes: RoutesPlugin = async (app, { ctx }) => {
  const db = ctx.db.kysely;

  async function nodeView(id: string): Promise<Node> {
    const view = await findNodeView(db, id);
    if (!view) throw Errors.notFound('node', id);
    return ctx.liveFigures.overlay(view.node);
  }

  app.post(
    '/api/nodes/register',
    {
      config: { access: 'public' },
      schema: {
        tags: ['nodes'],
        summary: 'Register a new node with a join token (called by utopia-agent)',
        body: inline(NodeRegisterRequest),
        response: { 201: inline(NodeRegisterResponse), ...errors(400, 401) },
      },
    },
    async (request, reply) => {
      const identity = await registerNode(db, ctx.clock, ctx.agentTokenKey, request.body);
      request.log.info(
        { nodeId: identity.nodeId, hostname: request.body.hostname },
        'node registered',
      );
      ctx.signals.nodesChanged();
      return reply
        .status(201)
        .send(ctx.tunnel ? { ...identity, tunnel: ctx.tunnel.offer } : identity);
    },
  );

  app.put(
    '/api/nodes/self',
    {
      config: { access: 'node' },
      schema: {
        tags: ['nodes'],
        summary: "Refresh the calling node's hostname, address and GPU inventory (utopia-agent)",
        body: inline(NodeSelfUpdateRequest),
        response: { 200: inline(NodeSelfUpdateResponse), ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const nodeId = currentNodeId(request);
      await updateNodeSelf(db, ctx.clock, nodeId, request.body);
      ctx.signals.nodesChanged();
      return ctx.tunnel ? { nodeId, tunnel: ctx.tunnel.offer } : { nodeId };
    },
  );

  app.get(
    '/api/nodes',
    {
      config: { access: 'user' },
      schema: {
        tags: ['nodes'],
        summary: 'List nodes with their GPUs and reservations; or watch them (watch=1)',
        description:
          'With `watch=1` the answer is a text/event-stream of the nodes and then every change (docs/api.md, "Watch").',
        querystring: WatchQuery,
        headers: WatchHeaders,
        response: { 200: orEventStream(NodeList), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      if (wantsWatch(request.query)) {
        const source = nodeWatchSource(db);
        ctx.watch.serve(
          request,
          reply,
          currentUser(request),
          source,
          request.query.resourceVersion,
        );
        return;
      }
      const holders = await reservationHolders(db);
      return {
        items: (await listNodes(db)).map((n) =>
          ctx.liveFigures.overlay(toNode(n, holders.get(n.id) ?? new Map())),
        ),
      };
    },
  );

  app.get(
    '/api/nodes/:id',
    {
      config: { access: 'user' },
      schema: {
        tags: ['nodes'],
        summary: 'Get a node',
        params: IdParams,
        response: { 200: Node, ...errors(401, 403, 404) },
      },
    },
    async (request) => nodeView(request.params.id),
  );

  app.patch(
    '/api/nodes/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['nodes'],
        summary: 'Cordon/uncordon a node (schedulable) or set its labels',
        params: IdParams,
        body: UpdateNodeRequest,
        response: { 200: Node, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const row = await findNode(db, request.params.id);
      if (!row) throw Errors.notFound('node', request.params.id);
      const { schedulable, labels } = request.body;
      const ok = await updateNodeGuarded(db, row.id, row.version, {
        ...(schedulable === undefined ? {} : { schedulable: schedulable ? 1 : 0 }),
        ...(labels === undefined ? {} : { labels: JSON.stringify(labels) }),
        updated_at: isoAt(ctx.clock.now()),
      });
      if (!ok) throw Errors.conflict('node changed meanwhile; retry');
      ctx.signals.nodesChanged();
      return nodeView(row.id);
    },
  );

  app.post(
    '/api/nodes/:id/drain',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['nodes'],
        summary: 'Drain a node: cordon it and move its claims to other nodes',
        params: IdParams,
        response: { 200: Node, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const claimIds = await drainNode(db, ctx.clock, request.params.id);
      claimIds.forEach((id) => ctx.signals.claimChanged(id));
      ctx.signals.nodesChanged();
      return nodeView(request.params.id);
    },
  );

  app.delete(
    '/api/nodes/:id',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['nodes'],
        summary: 'Delete a node: its credential stops working and its claims are rescheduled',
        params: IdParams,
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const claimIds = await deleteNode(
        {
          db,
          agents: ctx.agentClient,
          agentTokenKey: ctx.agentTokenKey,
          log: (msg) => request.log.info(msg),
        },
        request.params.id,
      );
      claimIds.forEach((id) => ctx.signals.claimChanged(id));
      ctx.signals.nodesChanged();
      return reply.status(204).send(null);
    },
  );
};
