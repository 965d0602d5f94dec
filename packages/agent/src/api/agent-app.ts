import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { AgentErrorReason, type AgentErrorBody } from '@utopia/shared';
import type { AgentLogger } from '../logger.js';
import { isAgentError } from '../agent-error.js';
import { createBearerCheck } from './bearer-auth.js';
import { containersRoutes } from './containers.routes.js';
import { execRoutes } from './exec.routes.js';
import { metricsRoutes, publicRoutes, type NodeRoutesOptions } from './node.routes.js';
import { agentValidatorCompiler } from './validation.js';

/** AgentAppOptions is used to build the agent's HTTP API. */
export interface AgentAppOptions extends NodeRoutesOptions {
  /** The token the server must present; undefined until registration is done. */
  agentToken: () => string | undefined;
  logger: AgentLogger;
}

/** WS_MAX_PAYLOAD_BYTES is used to bound one message from the server on a stream. */
const WS_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/** buildAgentApp is used to create (not start) the Fastify app of the agent API. */
export async function buildAgentApp(opts: AgentAppOptions): Promise<FastifyInstance> {
  const loggerInstance: FastifyBaseLogger = opts.logger;
  const app = Fastify({
    loggerInstance,
    bodyLimit: 1024 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(agentValidatorCompiler);

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, body } = toErrorBody(err);
    if (status >= 500) req.log.error({ err }, 'request failed');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      error: `route ${req.method} ${req.url.split('?')[0] ?? ''} not found`,
      code: 404,
      reason: AgentErrorReason.NotFound,
      permanent: true,
    } satisfies AgentErrorBody),
  );

  // Before any route, as it wraps each WebSocket route's handler; upgrade requests pass the same
  // bearer check below before anything is upgraded. No compression: a small frame must not
  // inflate into a large one.
  await app.register(websocket, {
    options: { maxPayload: WS_MAX_PAYLOAD_BYTES, perMessageDeflate: false },
  });
  await app.register(publicRoutes, opts);
  const checkBearer = createBearerCheck(opts.agentToken);
  await app.register(
    async (api) => {
      // onRequest runs before body parsing and validation: without the token nothing is read.
      api.addHook('onRequest', checkBearer);
      await api.register(containersRoutes, { containers: opts.containers });
      await api.register(execRoutes, { containers: opts.containers });
      await api.register(metricsRoutes, opts);
    },
    { prefix: '/api/v1' },
  );
  return app;
}

function toErrorBody(err: FastifyError): { status: number; body: AgentErrorBody } {
  if (isAgentError(err)) return { status: err.statusCode, body: err.toBody() };
  if (err.validation) {
    return {
      status: 400,
      body: {
        error: describeValidation(err.validationContext ?? 'request', err.validation),
        code: 400,
        reason: AgentErrorReason.ValidationFailed,
        permanent: true,
      },
    };
  }
  const status = typeof err.statusCode === 'number' && err.statusCode >= 400 ? err.statusCode : 500;
  if (status < 500) {
    return {
      status,
      body: {
        error: err.message,
        code: status,
        reason: AgentErrorReason.ValidationFailed,
        permanent: true,
      },
    };
  }
  return {
    status: 500,
    body: {
      error: 'internal error in the agent',
      code: 500,
      reason: AgentErrorReason.Internal,
      permanent: false,
    },
  };
}

type ValidationIssue = NonNullable<FastifyError['validation']>[number];

/** describeValidation is used to say which field is wrong, e.g. "body/volumes: unknown field". */
function describeValidation(context: string, issues: ValidationIssue[]): string {
  return issues
    .map((issue) => {
      const extra = issue.params.additionalProperty;
      const path = `${context}${issue.instancePath}`;
      if (issue.instancePath === '/volumes') return `${path}: host mounts are not supported`;
      if (typeof extra === 'string') return `${path}/${extra}: unknown field`;
      // Ajv would quote the whole regular expression; say what kind of value was expected.
      if (issue.keyword === 'pattern') return `${path}: ${patternHint(issue.instancePath)}`;
      return `${path}: ${issue.message ?? 'invalid'}`;
    })
    .join('; ');
}

/** patternHint is used to say, for a person, what a field that failed its pattern must look like. */
function patternHint(instancePath: string): string {
  const field = instancePath.split('/')[1] ?? '';
  switch (field) {
    case 'image':
      return 'not an image reference ([host[:port]/]name[:tag][@sha256:digest], lower-case name)';
    case 'claim_id':
      return 'must start with a letter or digit and hold only letters, digits, ".", "_" and "-"';
    case 'id':
      return 'must be a container id or name, or claim:<claimId> (letters, digits, ".", "_", "-"; starting with a letter or digit)';
    case 'env_vars':
      return 'must be NAME=value, without NUL characters or lone UTF-16 surrogates';
    default:
      return 'must not contain NUL characters or lone UTF-16 surrogates';
  }
}
