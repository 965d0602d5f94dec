import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { AgentErrorBody, AgentVolumeList, AgentVolumeParams } from '@utopia/shared';
import type { VolumeService } from '../runtime/volume.service.js';

/** VolumesRoutesOptions is used to hand the routes their service. */
export interface VolumesRoutesOptions {
  volumes: VolumeService;
}

const errors = { 400: AgentErrorBody, 401: AgentErrorBody, 503: AgentErrorBody };

/** volumesRoutes is used to serve /api/v1/volumes: the named volumes Utopia made on this node. */
export const volumesRoutes: FastifyPluginAsyncTypebox<VolumesRoutesOptions> = async (app, opts) => {
  app.get('/volumes', { schema: { response: { 200: AgentVolumeList, ...errors } } }, async () =>
    opts.volumes.list(),
  );

  app.delete(
    '/volumes/:name',
    {
      schema: {
        params: AgentVolumeParams,
        response: { 204: Type.Null(), 404: AgentErrorBody, 409: AgentErrorBody, ...errors },
      },
    },
    async (req, reply) => {
      await opts.volumes.remove(req.params.name);
      return reply.code(204).send(null);
    },
  );
};
