import { ErrorBody } from '@utopia/shared';
import { Type, type TSchema } from '@sinclair/typebox';
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

/** inline is used to embed a shared schema that carries an $id into a route schema. */
export function inline<T extends TSchema>(schema: T): T {
  const { $id: _id, ...rest } = schema;
  return rest as T;
}
