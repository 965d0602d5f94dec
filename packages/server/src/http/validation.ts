import { Ajv, type Options } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

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

/** validatorCompiler is used by Fastify for every route schema. */
export const validatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema);
};
