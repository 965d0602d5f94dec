import { Type } from '@sinclair/typebox';
import type { RoutesPlugin } from '../context.js';
import { errors } from '../http/responses.js';

/** metricsRoutes is used by Prometheus (scrape with an admin API token as bearer_token). */
export const metricsRoutes: RoutesPlugin = async (app, { ctx }) => {
  app.get(
    '/metrics',
    {
      config: { access: 'admin' },
      schema: {
        tags: ['metrics'],
        summary:
          'Prometheus metrics: claims by phase, reconcile and scheduling times, GPUs per node',
        response: {
          200: {
            description: 'Prometheus text exposition format',
            content: { [ctx.metrics.registry.contentType]: { schema: Type.String() } },
          },
          ...errors(401, 403),
        },
      },
    },
    async (_request, reply) => {
      const body = await ctx.metrics.registry.metrics();
      return reply.type(ctx.metrics.registry.contentType).send(body);
    },
  );
};
