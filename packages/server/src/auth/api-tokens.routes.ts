import {
  ApiTokenList,
  CreateApiTokenRequest,
  CreatedApiToken,
  IdParams,
  type ApiToken,
} from '@utopia/shared';
import type { ApiTokenRow } from '../db/schema.js';
import type { RoutesPlugin } from '../context.js';
import { isoAt } from '../db/time.js';
import { Errors } from '../errors.js';
import { errors, NoContent } from '../http/responses.js';
import { currentUser } from './access.js';
import { API_TOKEN_PREFIX } from './principal.js';
import { randomId, randomSecret, sha256Hex } from './secrets.js';

function toApiToken(row: ApiTokenRow): ApiToken {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    lastUsedAt: row.last_used_at,
    revoked: row.revoked_at !== null,
  };
}

/** apiTokenRoutes is used by each user to create, list and revoke their own API tokens. */
export const apiTokenRoutes: RoutesPlugin = async (app, { ctx }) => {
  const db = ctx.db.kysely;

  app.get(
    '/api/auth/tokens',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'List your API tokens',
        response: { 200: ApiTokenList, ...errors(401, 403) },
      },
    },
    async (request) => {
      const rows = await db
        .selectFrom('api_tokens')
        .selectAll()
        .where('user_id', '=', currentUser(request).userId)
        .orderBy('created_at', 'desc')
        .execute();
      return { items: rows.map(toApiToken) };
    },
  );

  app.post(
    '/api/auth/tokens',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'Create an API token (its secret is shown once)',
        body: CreateApiTokenRequest,
        response: { 201: CreatedApiToken, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const now = ctx.clock.now();
      const days = request.body.expiresInDays;
      const secret = randomSecret();
      const row: ApiTokenRow = {
        id: randomId(),
        user_id: currentUser(request).userId,
        name: request.body.name,
        secret_hash: sha256Hex(secret),
        created_at: isoAt(now),
        expires_at: days === undefined ? null : isoAt(now + days * 86_400_000),
        last_used_at: null,
        revoked_at: null,
      };
      await db.insertInto('api_tokens').values(row).execute();
      return reply
        .status(201)
        .send({ token: `${API_TOKEN_PREFIX}${row.id}.${secret}`, apiToken: toApiToken(row) });
    },
  );

  app.delete(
    '/api/auth/tokens/:id',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'Revoke one of your API tokens',
        params: IdParams,
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      const result = await db
        .updateTable('api_tokens')
        .set({ revoked_at: isoAt(ctx.clock.now()) })
        .where('id', '=', request.params.id)
        .where('user_id', '=', currentUser(request).userId)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw Errors.notFound('API token', request.params.id);
      return reply.status(204).send(null);
    },
  );
};
