import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { isText, TEXT_FORMAT } from '@utopia/shared';
import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifySchemaCompiler } from 'fastify';
import { assertSafeStrings } from './string-guard.js';

// ajv-formats is CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const common: Options = {
  allErrors: false,
  // Unknown fields must be rejected, not silently dropped (Fastify's default drops them).
  removeAdditional: false,
  useDefaults: true,
  strict: false,
};

// Bodies are JSON: a string where a number belongs is an error, never coerced. Query strings and
// path params are text by nature, so they are coerced to the declared types.
const bodyAjv = addFormats(new Ajv({ ...common, coerceTypes: false }));
const textAjv = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));
for (const ajv of [bodyAjv, textAjv])
  ajv.addFormat(TEXT_FORMAT, { type: 'string', validate: isText });

/**
 * compileCheck is used to check JSON against a wire schema outside a route, with the same
 * validator the routes use (e.g. tests reading watch events).
 */
export function compileCheck<S extends TSchema>(schema: S): (value: unknown) => value is Static<S> {
  const validate = bodyAjv.compile<Static<S>>(schema);
  return (value): value is Static<S> => validate(value);
}

/**
 * validatorCompiler is used by Fastify for every route schema. It first checks that every string
 * the schema lets in is bounded and free of NUL and lone surrogates, so no route can forget to.
 */
export const validatorCompiler: FastifySchemaCompiler<object> = ({
  schema,
  httpPart,
  method,
  url,
}) => {
  assertSafeStrings(schema, `${method} ${url} ${httpPart ?? 'schema'}`);
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema);
};
