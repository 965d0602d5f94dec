import { CreateUserRequest, IdParams, UpdateUserRequest, User, UserList } from '@utopia/shared';
import { currentUser } from '../auth/access.js';
import type { RoutesPlugin } from '../context.js';
import { Errors } from '../errors.js';
import { errors } from '../http/responses.js';
import { findUserById, listUsers } from './users.repository.js';
import { changeUser, createUser, toUser } from './users.service.js';

/** userRoutes is used by admins to manage user accounts. */
export const userRoutes: RoutesPlugin = async (app, { ctx }) => {
  const db = ctx.db.kysely;
  const admin = { access: 'admin' } as const;

  app.get(
    '/api/users',
    {
      config: admin,
      schema: {
        tags: ['users'],
        summary: 'List users',
        response: { 200: UserList, ...errors(401, 403) },
      },
    },
    async () => ({ items: (await listUsers(db)).map(toUser) }),
  );

  app.post(
    '/api/users',
    {
      config: admin,
      schema: {
        tags: ['users'],
        summary: 'Create a user',
        body: CreateUserRequest,
        response: { 201: User, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => reply.status(201).send(await createUser(db, ctx.clock, request.body)),
  );

  app.get(
    '/api/users/:id',
    {
      config: admin,
      schema: {
        tags: ['users'],
        summary: 'Get a user',
        params: IdParams,
        response: { 200: User, ...errors(401, 403, 404) },
      },
    },
    async (request) => {
      const row = await findUserById(db, request.params.id);
      if (!row) throw Errors.notFound('user', request.params.id);
      return toUser(row);
    },
  );

  app.patch(
    '/api/users/:id',
    {
      config: admin,
      schema: {
        tags: ['users'],
        summary: 'Change a user: role, GPU quota, password, or disable it',
        params: IdParams,
        body: UpdateUserRequest,
        response: { 200: User, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request) =>
      changeUser(db, ctx.clock, currentUser(request).userId, request.params.id, request.body),
  );
};
