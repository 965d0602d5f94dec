import { IdParams, PortForwardQuery } from '@utopia/shared';
import { Type } from '@sinclair/typebox';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { currentUser } from '../auth/access.js';
import { watchClaimGone } from '../claims/claim-streams.js';
import type { RoutesPlugin } from '../context.js';
import { Errors } from '../errors.js';
import { errors } from '../http/responses.js';
import { closeWith, pipeWebSockets, WsCloseCode } from '../http/websocket-pipe.js';
import { refuseWithoutUpgrade } from '../http/websocket.js';
import { openClaimPort } from './claim-port.js';

const SwitchingProtocols = Type.Null({
  description:
    'Switching Protocols: the WebSocket carries one TCP connection as binary frames (docs/api.md, "Port-forward")',
});

/**
 * portForwardRoutes is used to serve GET /api/gpu-claims/:id/port-forward?port=N: a WebSocket
 * joined to the agent's, carrying one TCP connection to port N in the claim's container. The
 * agent connects before the user's socket is upgraded, so every refusal is an HTTP status.
 */
export const portForwardRoutes: RoutesPlugin = async (app, { ctx }) => {
  // The agent's socket opened by the preHandler, waiting for the user's upgrade.
  const upstreams = new WeakMap<FastifyRequest, WebSocket>();

  app.route({
    method: 'GET',
    url: '/api/gpu-claims/:id/port-forward',
    config: { access: 'user' },
    schema: {
      tags: ['claims'],
      summary: "Forward one TCP connection to a port of a claim's container (WebSocket)",
      description:
        'Send `Upgrade: websocket`. Binary frames carry the bytes both ways; either side closing ends the connection (docs/api.md, "Port-forward"). 404 NO_CONTAINER: the claim is not running; 502 PORT_UNREACHABLE: nothing listens on the port.',
      params: IdParams,
      querystring: PortForwardQuery,
      response: { 101: SwitchingProtocols, ...errors(400, 401, 403, 404, 426, 502, 503) },
    },
    preHandler: async (request) => {
      if (!request.ws) throw Errors.upgradeRequired();
      const p = currentUser(request);
      const { upstream } = await openClaimPort(ctx, p, request.params.id, request.query.port);
      upstreams.set(request, upstream);
      // A handshake that fails after this never reaches wsHandler: the agent's side goes too.
      request.raw.socket.once('close', () => closeWith(upstream, WsCloseCode.GoingAway));
    },
    handler: refuseWithoutUpgrade,
    wsHandler: (socket, request) => {
      const upstream = upstreams.get(request);
      if (upstream === undefined) {
        closeWith(socket, WsCloseCode.InternalError, 'port-forward lost its agent connection');
        return;
      }
      const stopWatch = watchClaimGone(ctx, request.params.id, () => {
        closeWith(socket, WsCloseCode.ClaimGone, 'claim deleted');
        closeWith(upstream, WsCloseCode.GoingAway);
      });
      void pipeWebSockets(socket, upstream).then(stopWatch);
    },
  });
};
