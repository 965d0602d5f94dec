import { CreateProxySessionRequest, IdParams, ProxySession } from '@utopia/shared';
import { currentUser } from '../auth/access.js';
import { findClaimOnNode } from '../claims/claim-streams.js';
import type { RoutesPlugin } from '../context.js';
import { Errors } from '../errors.js';
import { errors } from '../http/responses.js';
import { proxyPathOf } from './proxy-cookie.js';
import { issueProxyTicket } from './proxy-tickets.js';

/**
 * proxySessionRoutes is used to serve POST /api/gpu-claims/:id/proxy-sessions: the owner (or an
 * admin) gets a one-time link to the claim port on the proxy's own origin. The API token never
 * goes there; the link's ticket buys a cookie that opens that claim port alone.
 */
export const proxySessionRoutes: RoutesPlugin = async (app, { ctx }) => {
  app.post(
    '/api/gpu-claims/:id/proxy-sessions',
    {
      config: { access: 'user' },
      schema: {
        tags: ['claims'],
        summary: "Open a port of a claim's container in a browser (HTTP proxy link)",
        description:
          'Answers a one-time link (valid one minute) to the proxy origin (docs/api.md, "HTTP proxy"). 404 NO_CONTAINER: the claim has no container; 503: the proxy is off (proxyListen).',
        params: IdParams,
        body: CreateProxySessionRequest,
        response: { 201: ProxySession, ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const p = currentUser(request);
      const proxy = ctx.proxy;
      if (proxy === undefined || proxy.publicUrl === '')
        throw Errors.unavailable('the HTTP proxy is off: the server needs proxyListen');
      const { claim } = await findClaimOnNode(ctx, p, request.params.id);
      const port = request.body.port;
      const { ticket, expiresAt } = await issueProxyTicket(
        ctx.db.kysely,
        { claimId: claim.id, port, userId: p.userId },
        ctx.clock.now(),
      );
      return reply.code(201).send({
        url: `${proxy.publicUrl}/proxy/session?ticket=${ticket}`,
        path: proxyPathOf(claim.id, port),
        expiresAt,
      });
    },
  );
};
