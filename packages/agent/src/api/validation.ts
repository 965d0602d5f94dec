import { Ajv, type Options } from 'ajv';
import type { FastifySchemaCompiler } from 'fastify';
import { isText, TEXT_FORMAT } from '@utopia/shared';

const common: Options = {
  allErrors: false,
  // Unknown fields are refused, not dropped (Fastify's default drops them).
  removeAdditional: false,
  useDefaults: true,
  // Route schemas carry $ids: compile each on its own instead of registering it by id.
  addUsedSchema: false,
  strict: false,
};

// A JSON body is typed by its sender: "1" or true where an integer belongs is refused, never
// coerced (the original agent refused them too). Query strings and path params are text by
// nature, so they are coerced to the declared types.
const bodyAjv = new Ajv({ ...common, coerceTypes: false });
const textAjv = new Ajv({ ...common, coerceTypes: 'array' });
// Free text (an exec's command) is well-formed Unicode without NUL, as on the server.
for (const ajv of [bodyAjv, textAjv])
  ajv.addFormat(TEXT_FORMAT, { type: 'string', validate: isText });

/** agentValidatorCompiler is used by the agent app for every route schema. */
export const agentValidatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) =>
  (httpPart === 'body' ? bodyAjv : textAjv).compile(schema);
