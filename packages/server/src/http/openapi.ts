import type { FastifyDynamicSwaggerOptions, SwaggerTransform } from '@fastify/swagger';
import type { Access } from '../auth/principal.js';
import { errors } from './responses.js';

/** API_VERSION is used in the OpenAPI document. */
export const API_VERSION = '0.1.0';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

/**
 * commonStatuses is used to list what any route of a given shape can answer besides its own
 * outcomes, so the document never misses one: 400 for anything it parses, 413/415 for bodies,
 * 414 for path segments over the router's limit, 401/403/503 where a credential is looked up in
 * the database, and 500 everywhere.
 */
export function commonStatuses(
  method: string,
  schema: Record<string, unknown>,
  access: Access | undefined,
): number[] {
  const statuses = [500];
  const hasBody = BODY_METHODS.has(method);
  if (hasBody || 'params' in schema || 'querystring' in schema) statuses.push(400);
  if (hasBody) statuses.push(413, 415);
  if ('params' in schema) statuses.push(414);
  if (access !== 'public') statuses.push(401, 403, 503);
  return statuses;
}

/**
 * documentRoute is used as @fastify/swagger's transform: every operation says who may call it
 * (`x-access`), public ones need no credential (`security: []`), and every one documents its
 * common error statuses. Only the published
 * document changes; validation and serialisation keep the route's own schema.
 */
const documentRoute: SwaggerTransform = ({ schema, url, route }) => {
  const own: Record<string, unknown> = isRecord(schema) ? schema : {};
  const access = route.config?.access;
  const method = [route.method].flat()[0] ?? 'GET';
  const response = isRecord(own.response) ? own.response : {};
  return {
    url,
    schema: {
      ...own,
      // Who may call it, as in the access table of docs/api.md (public, user, admin, node).
      'x-access': access,
      ...(access === 'public' ? { security: [] } : {}),
      response: { ...errors(...commonStatuses(method, own, access)), ...response },
    },
  };
};

/** openapiOptions is used to register @fastify/swagger: OpenAPI 3.1, bearer tokens, transform. */
export const openapiOptions: FastifyDynamicSwaggerOptions = {
  openapi: {
    // 3.1 (JSON Schema 2020-12) can publish `propertyNames`, which env and labels keys rely on.
    openapi: '3.1.0',
    info: {
      title: 'Utopia API',
      version: API_VERSION,
      description: 'Declarative GPU cluster manager',
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'JWT from /api/auth/login, or an API token',
        },
      },
    },
    security: [{ bearer: [] }],
  },
  transform: documentRoute,
};
