import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { isText, TEXT_FORMAT } from '@utopia/shared';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerAccessControl, type RouteAccess } from './auth/access.js';
import { apiTokenRoutes } from './auth/api-tokens.routes.js';
import { authRoutes } from './auth/auth.routes.js';
import type { AppContext } from './context.js';
import { healthRoutes } from './health/health.routes.js';
import { handleError, handleNotFound } from './http/error-handler.js';
import { withRedactedRequests } from './http/log-redaction.js';
import { registerLoadShedding } from './http/load-shedding.js';
import { registerMethodNotAllowed } from './http/method-not-allowed.js';
import { openapiOptions } from './http/openapi.js';
import { validatorCompiler } from './http/validation.js';
import { registerWebSockets } from './http/websocket.js';
import { userRoutes } from './users/users.routes.js';
import { claimRoutes } from './claims/claims.routes.js';
import { claimLogsRoutes } from './claims/claim-logs.routes.js';
import { claimExecRoutes } from './claims/claim-exec.routes.js';
import { eventRoutes } from './events/events.routes.js';
import { portForwardRoutes } from './port-forward/port-forward.routes.js';
import { proxySessionRoutes } from './proxy/proxy-sessions.routes.js';
import { metricsRoutes } from './metrics/metrics.routes.js';
import { joinTokenRoutes } from './nodes/join-tokens.routes.js';
import { nodeRoutes } from './nodes/nodes.routes.js';
import { frpPluginRoutes } from './tunnel/frp-plugin.routes.js';
import { volumeRoutes } from './volumes/volumes.routes.js';
import { isAppPath, sendIndex, webUiRoutes } from './web/web-ui.routes.js';

/** BuiltApp is used to hold the Fastify app and the access rule of each of its routes. */
export interface BuiltApp {
  app: FastifyInstance;
  routes: RouteAccess[];
}

export { API_VERSION } from './http/openapi.js';

/**
 * ROUTER_MAX_PARAM_LENGTH is used to bound one path segment: above every declared id length, so a
 * valid id never meets it; past it the answer is 414 URI_TOO_LONG.
 */
const ROUTER_MAX_PARAM_LENGTH = 256;

/**
 * buildApp is used to assemble the HTTP API: infrastructure first (validation, errors, OpenAPI,
 * access control), then one plugin per domain. Nothing here listens; the caller does.
 */
export async function buildApp(
  ctx: AppContext,
  logger: FastifyBaseLogger | false,
): Promise<BuiltApp> {
  const app = Fastify({
    loggerInstance: logger === false ? undefined : withRedactedRequests(logger),
    bodyLimit: ctx.config.bodyLimitBytes,
    routerOptions: { maxParamLength: ROUTER_MAX_PARAM_LENGTH },
    // Bad percent-encoding and overlong path segments are answered in our error shape too.
    frameworkErrors: handleError,
    // The response serialiser has its own ajv (for anyOf): it must know our format too.
    serializerOpts: { ajv: { formats: { [TEXT_FORMAT]: isText } } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler(handleError);
  // A browser loading one of the web UI's own paths (/claims/…) gets the app; the rest a 404.
  app.setNotFoundHandler((request, reply) =>
    isAppPath(request) ? sendIndex(reply) : handleNotFound(request, reply),
  );
  // Bodies are JSON only; without this Fastify would parse text/plain and answer 400, not 415.
  app.removeContentTypeParser('text/plain');
  registerMethodNotAllowed(app);
  registerLoadShedding(app, ctx.config.maxInFlightRequests);
  // Watch streams never end by themselves: end them, or close() would wait for them forever.
  app.addHook('preClose', () => ctx.watch.closeStreams());
  app.addHook('onClose', () => ctx.watch.stop());

  await app.register(swagger, openapiOptions);
  // Before any route: it wraps each WebSocket route's handler as the route is added. And before
  // the access check: its onRequest hook must run first to mark an upgrade request, or the
  // socket of an upgrade refused with 401/403 is never destroyed (and close waits on it).
  await registerWebSockets(app);
  const routes = registerAccessControl(app, ctx.authenticate);
  // The docs page's own routes (HTML, JS, CSS) are public, like the document they show.
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { url: '/api/openapi.json' } });

  app.get('/api/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  await app.register(healthRoutes, { ctx });
  await app.register(authRoutes, { ctx });
  await app.register(apiTokenRoutes, { ctx });
  await app.register(userRoutes, { ctx });
  await app.register(joinTokenRoutes, { ctx });
  await app.register(nodeRoutes, { ctx });
  await app.register(claimRoutes, { ctx });
  await app.register(claimLogsRoutes, { ctx });
  await app.register(claimExecRoutes, { ctx });
  await app.register(portForwardRoutes, { ctx });
  await app.register(proxySessionRoutes, { ctx });
  await app.register(volumeRoutes, { ctx });
  await app.register(eventRoutes, { ctx });
  await app.register(metricsRoutes, { ctx });
  await app.register(frpPluginRoutes, { ctx });
  await app.register(webUiRoutes, {});
  return { app, routes };
}
