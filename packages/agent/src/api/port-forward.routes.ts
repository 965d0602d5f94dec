import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { AgentContainerParams, AgentErrorBody, AgentPortForwardQuery } from '@utopia/shared';
import { agentErrors } from '../agent-error.js';
import type { ContainerService } from '../runtime/container.service.js';
import type { PortBridge } from '../runtime/port-bridge.js';
import { pipeSocketToBridge } from './bridge-socket.js';

/** PortForwardRoutesOptions is used to hand the route its container service. */
export interface PortForwardRoutesOptions {
  containers: ContainerService;
}

/**
 * portForwardRoutes is used to serve GET /api/v1/containers/:id/port-forward?port=N, a WebSocket
 * carrying one TCP connection to port N inside the container. The connection is made before the
 * upgrade, so a stopped container or a closed port is an HTTP error the server can hand on.
 */
export const portForwardRoutes: FastifyPluginAsyncTypebox<PortForwardRoutesOptions> = async (
  app,
  opts,
) => {
  // The preHandler's connection, waiting for the upgrade that follows it.
  const bridges = new WeakMap<FastifyRequest, PortBridge>();

  app.route({
    method: 'GET',
    url: '/containers/:id/port-forward',
    schema: {
      params: AgentContainerParams,
      querystring: AgentPortForwardQuery,
      response: {
        400: AgentErrorBody,
        401: AgentErrorBody,
        404: AgentErrorBody,
        409: AgentErrorBody,
        426: AgentErrorBody,
        502: AgentErrorBody,
      },
    },
    preHandler: async (req) => {
      if (!req.ws) throw agentErrors.upgradeRequired();
      const bridge = await opts.containers.openPortForward(req.params.id, req.query.port);
      bridges.set(req, bridge);
      // Whatever happens to the upgrade (a bad handshake never reaches wsHandler), the
      // connection ends with the client's socket.
      req.raw.socket.once('close', () => bridge.close());
    },
    handler: async () => {
      throw agentErrors.upgradeRequired();
    },
    wsHandler: (socket, req) => {
      const bridge = bridges.get(req);
      if (bridge === undefined) throw agentErrors.internal('port-forward lost its connection');
      pipeSocketToBridge(socket, bridge);
    },
  });
};
