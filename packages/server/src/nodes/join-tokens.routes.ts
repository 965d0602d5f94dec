import { CreateJoinTokenRequest, CreatedJoinToken, IdParams, JoinTokenList } from '@utopia/shared';
import { currentUser } from '../auth/access.js';
import type { RoutesPlugin } from '../context.js';
import { isoAt } from '../db/time.js';
import { Errors } from '../errors.js';
import { errors, NoContent } from '../http/responses.js';
import { createJoinToken, toJoinToken } from './join-tokens.service.js';

/** joinTokenRoutes is used by admins to let new nodes join, and to stop them. */
export const joinTokenRoutes: RoutesPlugin = async (app, { ctx }) => {
  const db = ctx.db.kysely;
  const admin = { access: 'admin' } as const;

  app.get(
    '/api/join-tokens',
    {
      config: admin,
      schema: {
        tags: ['nodes'],
        summary: 'List join tokens',
        response: { 200: JoinTokenList, ...errors(401, 403) },
      },
    },
    async () => ({
      items: (
        await db.selectFrom('join_tokens').selectAll().orderBy('created_at', 'desc').execute()
      ).map(toJoinToken),
    }),
  );

  app.post(
    '/api/join-tokens',
    {
      config: admin,
      schema: {
        tags: ['nodes'],
        summary: 'Create a join token for new nodes (its secret is shown once)',
        body: CreateJoinTokenRequest,
        response: { 201: CreatedJoinToken, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(await createJoinToken(db, ctx.clock, currentUser(request).userId, request.body)),
  );

  app.delete(
    '/api/join-tokens/:id',
    {
      config: admin,
      schema: {
        tags: ['nodes'],
        summary: 'Revoke a join token (nodes that joined with it stay)',
        params: IdParams,
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const result = await db
        .updateTable('join_tokens')
        .set({ revoked_at: isoAt(ctx.clock.now()) })
        .where('id', '=', request.params.id)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw Errors.notFound('join token', request.params.id);
      return reply.status(204).send(null);
    },
  );
};
