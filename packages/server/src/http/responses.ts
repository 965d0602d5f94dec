import { ErrorBody } from '@utopia/shared';
import { Type, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox';
import { STATUS_CODES } from 'node:http';

// The shared ErrorBody carries an $id; route schemas embed a copy without it so that the
// OpenAPI generator does not see the same $id many times.
const { $id: _id, ...errorBodySchema } = ErrorBody;

/** errors is used by route schemas to declare the error statuses a route can answer. */
export function errors(...statuses: number[]): Record<number, TSchema> {
  const out: Record<number, TSchema> = {};
  for (const s of statuses) {
    out[s] = Type.Unsafe<ErrorBody>({
      ...errorBodySchema,
      description: STATUS_CODES[s] ?? 'Error',
    });
  }
  return out;
}

/** NoContent is used for 204 answers. */
export const NoContent = Type.Null({ description: 'No content' });

/**
 * orEventStream is used by routes that answer JSON, or with `?watch=1` a text/event-stream, so
 * the OpenAPI document shows both.
 */
export function orEventStream<T extends TSchema>(json: T): TUnsafe<Static<T>> {
  return Type.Unsafe<Static<T>>({
    description: 'The object as JSON; with watch=1, a stream of server-sent events',
    content: {
      'application/json': { schema: json },
      // Each server-sent event, as a client's parser reads it (its fields as text).
      'text/event-stream': {
        schema: Type.Object(
          {
            event: Type.String({
              description:
                'ADDED, MODIFIED, DELETED (data: the object as JSON), SNAPSHOT_END, BOOKMARK, RESYNC',
            }),
            data: Type.String(),
            id: Type.Optional(Type.String({ description: 'The resource version' })),
            retry: Type.Optional(Type.Integer()),
          },
          { description: 'One server-sent event (docs/api.md, "Watch")' },
        ),
      },
    },
  });
}

/** inline is used to embed a shared schema that carries an $id into a route schema. */
export function inline<T extends TSchema>(schema: T): T {
  const { $id: _id, ...rest } = schema;
  return rest as T;
}
