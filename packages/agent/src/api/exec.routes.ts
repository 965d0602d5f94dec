import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  AgentContainerParams,
  AgentErrorBody,
  AgentExecQuery,
  ExecChannel,
  execStatus,
} from '@utopia/shared';
import type { ContainerService } from '../runtime/container.service.js';
import { bridgeExec } from './exec-session.js';

/** ExecRoutesOptions is used to hand the exec route its service. */
export interface ExecRoutesOptions {
  containers: ContainerService;
}

/**
 * execRoutes is used to serve GET /api/v1/containers/:id/exec: a WebSocket in Kubernetes'
 * channel protocol to a Docker exec in a running claim container (docs/api.md, "Exec").
 */
export const execRoutes: FastifyPluginAsyncTypebox<ExecRoutesOptions> = async (app, opts) => {
  const { containers } = opts;
  app.route({
    method: 'GET',
    url: '/containers/:id/exec',
    schema: {
      params: AgentContainerParams,
      querystring: AgentExecQuery,
      response: { 400: AgentErrorBody, 401: AgentErrorBody, 404: AgentErrorBody },
    },
    // Before the upgrade: no running container is a plain 404, not a socket that closes.
    preHandler: async (req) => {
      await containers.runningContainer(req.params.id);
    },
    handler: async (_req, reply) =>
      reply.code(400).send({
        error: 'exec speaks WebSocket only',
        code: 400,
        reason: 'VALIDATION_FAILED',
        permanent: true,
      }),
    wsHandler: async (socket, req) => {
      // Frames sent while Docker starts the exec wait in the kernel instead of being dropped.
      socket.pause();
      const q = req.query;
      const tty = q.tty ?? false;
      try {
        const session = await containers.exec(req.params.id, {
          command: q.command,
          stdin: q.stdin ?? false,
          stdout: q.stdout ?? true,
          // With a terminal, Docker merges stderr into stdout (as Kubernetes does).
          stderr: tty ? false : (q.stderr ?? true),
          tty,
        });
        await bridgeExec(socket, session, tty, req.log);
      } catch (err) {
        // The command could not start (say, no such executable): say so as Kubernetes would.
        const message = err instanceof Error ? err.message : String(err);
        const status = Buffer.from(JSON.stringify(execStatus(null, message)));
        socket.resume();
        socket.send(Buffer.concat([Buffer.from([ExecChannel.Status]), status]));
        socket.close(1000);
      }
    },
  });
};
