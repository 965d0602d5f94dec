import { Type } from '@sinclair/typebox';
import { ServerVersion } from '@utopia/shared';
import type { RoutesPlugin } from '../context.js';
import { isSchemaCurrent } from '../db/database.js';
import { errors } from '../http/responses.js';
import { Errors } from '../errors.js';
import { API_VERSION } from '../http/openapi.js';

const Status = Type.Object({ status: Type.String() }, { additionalProperties: false });

/** healthRoutes is used by load balancers and orchestrators: liveness and readiness. */
export const healthRoutes: RoutesPlugin = async (app, { ctx }) => {
  app.get(
    '/healthz',
    {
      config: { access: 'public' },
      schema: { tags: ['health'], summary: 'Liveness', response: { 200: Status } },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/api/version',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'The server version (`utopia --version` shows it beside its own)',
        response: { 200: ServerVersion },
      },
    },
    async () => ({ version: API_VERSION }),
  );

  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: {
        tags: ['health'],
        summary: 'Readiness: the database answers and its schema is current',
        response: { 200: Status, ...errors(503) },
      },
    },
    async (request) => {
      const ready = await isSchemaCurrent(ctx.db).catch((err: unknown) => {
        request.log.warn({ err }, 'readiness check failed');
        return false;
      });
      if (ready) return { status: 'ready' };
      throw Errors.unavailable('database unreachable or schema not migrated');
    },
  );
};
