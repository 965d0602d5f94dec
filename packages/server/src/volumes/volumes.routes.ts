import { IdParams, VolumeList } from '@utopia/shared';
import { currentUser } from '../auth/access.js';
import type { RoutesPlugin } from '../context.js';
import { errors, NoContent } from '../http/responses.js';
import { deleteVolume, listVolumes } from './volumes.service.js';

/** volumeRoutes is used to list and delete named volumes (owner or admin). */
export const volumeRoutes: RoutesPlugin = async (app, { ctx }) => {
  const db = ctx.db.kysely;

  app.get(
    '/api/volumes',
    {
      config: { access: 'user' },
      schema: {
        tags: ['volumes'],
        summary: 'List named volumes (yours; admins see all), with the node each lives on',
        response: { 200: VolumeList, ...errors(401, 403) },
      },
    },
    async (request) => ({ items: await listVolumes(db, currentUser(request)) }),
  );

  app.delete(
    '/api/volumes/:id',
    {
      config: { access: 'user' },
      schema: {
        tags: ['volumes'],
        summary: "Delete a named volume and its data on its node (refused while it's in use)",
        params: IdParams,
        response: { 204: NoContent, ...errors(401, 403, 404, 409, 503) },
      },
    },
    async (request, reply) => {
      const deps = { db, agents: ctx.agentClient, agentTokenKey: ctx.agentTokenKey };
      await deleteVolume(deps, currentUser(request), request.params.id);
      return reply.status(204).send(null);
    },
  );
};
