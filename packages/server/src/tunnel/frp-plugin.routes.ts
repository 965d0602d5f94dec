import { Type } from '@sinclair/typebox';
import { Text } from '@utopia/shared';
import { constantTimeEqual } from '../auth/secrets.js';
import type { RoutesPlugin } from '../context.js';
import { decideFrpPluginRequest } from './frp-plugin.js';
import { FRP_PLUGIN_PATH } from './frps-config.js';

/**
 * frpPluginRoutes is used by frps (server plugin: Login, NewProxy) before it accepts a client or
 * a tunnel. The path carries a server secret, since frps cannot send credentials of its own.
 */
export const frpPluginRoutes: RoutesPlugin = async (app, { ctx }) => {
  app.post(
    `${FRP_PLUGIN_PATH}/:key`,
    {
      config: { access: 'public' },
      schema: {
        tags: ['tunnel'],
        summary:
          'frps server plugin (Login, NewProxy): called by frps, with the key from its config',
        response: {
          200: Type.Object({
            reject: Type.Boolean(),
            unchange: Type.Optional(Type.Boolean()),
            reject_reason: Type.Optional(Type.String()),
          }),
          404: Type.Object({ reject: Type.Boolean(), reject_reason: Type.String() }),
        },
        params: Type.Object({ key: Text({ maxLength: 200 }) }),
        querystring: Type.Object({
          version: Type.Optional(Text({ maxLength: 64 })),
          op: Type.Optional(Text({ maxLength: 64 })),
        }),
        body: Type.Unknown(),
      },
    },
    async (request, reply) => {
      const tunnel = ctx.tunnel;
      if (!tunnel || !constantTimeEqual(request.params.key, tunnel.pluginKey)) {
        return reply.status(404).send({ reject: true, reject_reason: 'unknown plugin endpoint' });
      }
      const decision = await decideFrpPluginRequest(request.body, tunnel.lookup, {
        allowPorts: tunnel.allowPorts,
      });
      if (decision.reject)
        request.log.warn(
          { op: request.query.op, reason: decision.reject_reason },
          'frps plugin refused',
        );
      return decision;
    },
  );
};
