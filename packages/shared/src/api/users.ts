import { Type, type Static } from '@sinclair/typebox';
import { Id, Text, Timestamp } from './common.js';

/** Role is used to decide what a user may do: admins manage everything, users their own claims. */
export const Role = Type.Union([Type.Literal('admin'), Type.Literal('user')]);
export type Role = Static<typeof Role>;

/** Username is used for login names: short, no spaces, stable in URLs and logs. */
export const Username = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[a-zA-Z0-9][a-zA-Z0-9._-]*$',
});

/** Password is used wherever a new password is chosen. */
export const Password = Text({ minLength: 8, maxLength: 256 });

/** User is used to show a user account (never its password hash). */
export const User = Type.Object(
  {
    id: Id,
    username: Type.String(),
    role: Role,
    disabled: Type.Boolean(),
    gpuQuota: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'Most GPUs this user may hold in live claims at once; null = no limit',
    }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  },
  { additionalProperties: false },
);
export type User = Static<typeof User>;

/** CreateUserRequest is used by admins to add a user. */
export const CreateUserRequest = Type.Object(
  {
    username: Username,
    password: Password,
    role: Type.Optional(Role),
    gpuQuota: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 100000 }), Type.Null()]),
    ),
  },
  { additionalProperties: false },
);
export type CreateUserRequest = Static<typeof CreateUserRequest>;

/** UpdateUserRequest is used by admins to change a user's role, quota, password or to disable it. */
export const UpdateUserRequest = Type.Object(
  {
    role: Type.Optional(Role),
    disabled: Type.Optional(Type.Boolean()),
    gpuQuota: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 100000 }), Type.Null()]),
    ),
    password: Type.Optional(Password),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateUserRequest = Static<typeof UpdateUserRequest>;

/** UserList is used to answer GET /api/users. */
export const UserList = Type.Object({ items: Type.Array(User) }, { additionalProperties: false });
