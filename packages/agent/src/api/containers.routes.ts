import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import {
  AgentContainerInfo,
  AgentContainerParams,
  AgentCreateContainerRequest,
  AgentCreateContainerResponse,
  AgentDeleteQuery,
  AgentErrorBody,
  AgentLogsQuery,
  AgentRemoveAllResponse,
} from '@utopia/shared';
import type { ContainerService } from '../runtime/container.service.js';
import { agentErrors } from '../agent-error.js';
import { dropNulls } from './wire-compat.js';

/** ContainersRoutesOptions is used to hand the routes their service. */
export interface ContainersRoutesOptions {
  containers: ContainerService;
}

const errors = { 400: AgentErrorBody, 401: AgentErrorBody, 503: AgentErrorBody };

/** containersRoutes is used to serve /api/v1/containers with the original agent's field names. */
export const containersRoutes: FastifyPluginAsyncTypebox<ContainersRoutesOptions> = async (
  app,
  opts,
) => {
  const { containers } = opts;

  app.post(
    '/containers',
    {
      schema: {
        body: AgentCreateContainerRequest,
        response: {
          200: AgentCreateContainerResponse,
          201: AgentCreateContainerResponse,
          ...errors,
          409: AgentErrorBody,
          422: AgentErrorBody,
        },
      },
      preValidation: async (req) => dropNulls(req.body),
    },
    async (req, reply) => {
      const result = await containers.create(req.body);
      return reply.code(result.created ? 201 : 200).send({ container_id: result.containerId });
    },
  );

  app.get(
    '/containers',
    { schema: { response: { 200: Type.Array(AgentContainerInfo), ...errors } } },
    async () => containers.list(),
  );

  // The server calls this when an admin deletes the node: no claim container may keep its GPUs.
  app.delete(
    '/containers',
    { schema: { response: { 200: AgentRemoveAllResponse, ...errors } } },
    async () => ({ container_ids: await containers.removeAll() }),
  );

  app.get(
    '/containers/:id',
    {
      schema: {
        params: AgentContainerParams,
        response: { 200: AgentContainerInfo, 404: AgentErrorBody, ...errors },
      },
    },
    async (req) => {
      const info = await containers.get(req.params.id);
      if (!info) throw agentErrors.notFound(`container ${req.params.id}`);
      return info;
    },
  );

  app.delete(
    '/containers/:id',
    {
      schema: {
        params: AgentContainerParams,
        querystring: AgentDeleteQuery,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (req, reply) => {
      await containers.remove(req.params.id, { keepLogs: req.query.keep_logs ?? false });
      return reply.code(204).send(null);
    },
  );

  // Followed log streams never end by themselves: close them when the agent stops, or
  // app.close() would wait for them forever.
  const followers = new Set<Readable>();
  app.addHook('preClose', async () => {
    for (const stream of followers) stream.destroy();
  });

  app.get(
    '/containers/:id/logs',
    { schema: { params: AgentContainerParams, querystring: AgentLogsQuery } },
    async (req, reply) => {
      const q = req.query;
      const stream = await containers.logs(req.params.id, {
        tail: q.tail,
        follow: q.follow ?? false,
        since: q.since,
        timestamps: q.timestamps ?? false,
        previous: q.previous ?? false,
      });
      // Listened to at once: an error before Fastify pipes the stream must not go uncaught.
      stream.on('error', (err) => req.log.debug({ err }, 'container log stream failed'));
      // A follower that hangs up must not leave Docker's log stream open.
      followers.add(stream);
      stream.on('close', () => followers.delete(stream));
      req.raw.on('close', () => stream.destroy());
      return reply.type('text/plain; charset=utf-8').send(stream);
    },
  );
};
