import { ChangePasswordRequest, LoginRequest, LoginResponse, User } from '@utopia/shared';
import type { RoutesPlugin } from '../context.js';
import { Errors } from '../errors.js';
import { errors, NoContent } from '../http/responses.js';
import { findUserById, findUserByUsername, updateUser } from '../users/users.repository.js';
import { toUser } from '../users/users.service.js';
import { isoAt } from '../db/time.js';
import { currentUser } from './access.js';
import type { LoginOutcome } from './login-limiter.js';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.js';

/** authRoutes is used to log in, see who you are and change your own password. */
export const authRoutes: RoutesPlugin = async (app, { ctx }) => {
  const db = ctx.db.kysely;

  app.post(
    '/api/auth/login',
    {
      config: { access: 'public' },
      schema: {
        tags: ['auth'],
        summary: 'Log in and get a short-lived bearer token (JWT)',
        body: LoginRequest,
        response: { 200: LoginResponse, ...errors(400, 401, 429) },
      },
    },
    async (request, reply) => {
      const { username, password } = request.body;
      const admission = ctx.loginLimiter.admit(username, request.ip);
      if (!admission.allowed) {
        const wait = admission.retryAfterSeconds;
        // The root error handler keeps headers set before the throw.
        void reply.header('retry-after', String(wait));
        throw Errors.rateLimited(`too many failed logins; try again in ${wait} s`);
      }
      let outcome: LoginOutcome = 'abandoned';
      try {
        const user = await findUserByUsername(db, username);
        const ok = user
          ? await verifyPassword(password, user.password_hash)
          : await burnPasswordCheck(password).then(() => false);
        if (!user || !ok || user.disabled) {
          outcome = 'failed';
          throw Errors.unauthenticated('wrong username or password, or the account is disabled');
        }
        outcome = 'succeeded';
        const { token, expiresAt } = await ctx.jwt.issue({
          userId: user.id,
          generation: user.token_generation,
        });
        return { token, expiresAt: expiresAt.toISOString(), user: toUser(user) };
      } finally {
        admission.settle(outcome);
      }
    },
  );

  app.get(
    '/api/auth/me',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'The user behind this token',
        response: { 200: User, ...errors(401, 403) },
      },
    },
    async (request) => {
      const row = await findUserById(db, currentUser(request).userId);
      if (!row) throw Errors.unauthenticated();
      return toUser(row);
    },
  );

  app.put(
    '/api/auth/password',
    {
      config: { access: 'user' },
      schema: {
        tags: ['auth'],
        summary: 'Change your own password',
        body: ChangePasswordRequest,
        response: { 204: NoContent, ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const row = await findUserById(db, currentUser(request).userId);
      if (!row || !(await verifyPassword(request.body.currentPassword, row.password_hash))) {
        throw Errors.wrongCurrentPassword();
      }
      const hash = await hashPassword(request.body.newPassword);
      // Every session ends, this one included: the client logs in again with the new password.
      await updateUser(
        db,
        row.id,
        { password_hash: hash, updated_at: isoAt(ctx.clock.now()) },
        { endSessions: true },
      );
      return reply.status(204).send(null);
    },
  );
};
