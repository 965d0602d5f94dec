import { Type } from '@sinclair/typebox';

/** Id is used for every resource id (opaque text). */
export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });

/** Timestamp is used for every time on the wire: ISO-8601 UTC. */
export const Timestamp = Type.String({ format: 'date-time' });

/** IdParams is used by routes of the shape /things/:id. */
export const IdParams = Type.Object({ id: Id }, { additionalProperties: false });

/** Page is used by list routes: a page of items and the cursor of the next page, if any. */
export const PageQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);
