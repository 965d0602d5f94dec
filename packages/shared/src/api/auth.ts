import { Type, type Static } from '@sinclair/typebox';
import { Id, Text, Timestamp } from './common.js';
import { Password, User } from './users.js';

/** LoginRequest is used by POST /api/auth/login. */
export const LoginRequest = Type.Object(
  {
    username: Text({ minLength: 1, maxLength: 64 }),
    password: Text({ minLength: 1, maxLength: 256 }),
  },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

/** LoginResponse is used to hand out a short-lived bearer token (JWT). */
export const LoginResponse = Type.Object(
  { token: Type.String(), expiresAt: Timestamp, user: User },
  { additionalProperties: false },
);
export type LoginResponse = Static<typeof LoginResponse>;

/** ChangePasswordRequest is used by a user to change their own password. */
export const ChangePasswordRequest = Type.Object(
  { currentPassword: Text({ minLength: 1, maxLength: 256 }), newPassword: Password },
  { additionalProperties: false },
);
export type ChangePasswordRequest = Static<typeof ChangePasswordRequest>;

/** ApiToken is used to list a long-lived API token (never its secret). */
export const ApiToken = Type.Object(
  {
    id: Id,
    name: Type.String(),
    createdAt: Timestamp,
    expiresAt: Type.Union([Timestamp, Type.Null()]),
    lastUsedAt: Type.Union([Timestamp, Type.Null()]),
    revoked: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type ApiToken = Static<typeof ApiToken>;

/** CreateApiTokenRequest is used to create an API token for the CLI or scripts. */
export const CreateApiTokenRequest = Type.Object(
  {
    name: Text({ minLength: 1, maxLength: 100 }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
);
export type CreateApiTokenRequest = Static<typeof CreateApiTokenRequest>;

/** CreatedApiToken is used to show a new token's secret, once. */
export const CreatedApiToken = Type.Object(
  { token: Type.String({ description: 'Shown only now; store it safely' }), apiToken: ApiToken },
  { additionalProperties: false },
);
export type CreatedApiToken = Static<typeof CreatedApiToken>;

/** ApiTokenList is used to answer GET /api/auth/tokens. */
export const ApiTokenList = Type.Object(
  { items: Type.Array(ApiToken) },
  { additionalProperties: false },
);
