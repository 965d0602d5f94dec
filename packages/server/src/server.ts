import { pino, type DestinationStream, type LevelWithSilent, type Logger } from 'pino';
import { buildApp, type BuiltApp } from './app.js';
import { createAuthenticator } from './auth/authenticate.js';
import { createJwtSigner } from './auth/jwt.js';
import { createLoginLimiter } from './auth/login-limiter.js';
import type { ServerConfig } from './config/config.js';
import type { AppContext } from './context.js';
import { createGroupCommit } from './db/group-commit.js';
import { ensurePrivateDir } from './db/private-files.js';
import { loadOrCreateSecret } from './db/secrets.repository.js';
import { openMigratedDatabase } from './db/wait-for-database.js';
import { systemClock, type Clock } from './db/time.js';
import { ensureAdmin } from './users/users.service.js';
import { createAgentClient } from './agent-client/agent-client.js';
import { createController, type Controller } from './controller/controller.js';
import { createControllerSignals } from './controller/signals.js';
import { createServerMetrics } from './metrics/metrics.js';
import { acceptBootstrapJoinToken } from './nodes/join-tokens.service.js';
import { createTunnel } from './tunnel/tunnel.service.js';
import { LiveNodeFigures } from './nodes/live-node-figures.js';
import { startProxy, type ProxyListener } from './proxy/proxy-listener.js';
import { createWatchService } from './watch/watch.service.js';

/** RunningServer is used to reach a started server: its URL, its parts, and how to stop it. */
export interface RunningServer {
  url: string;
  ctx: AppContext;
  built: BuiltApp;
  controller: Controller;
  /** The HTTP proxy's listener, when proxyListen is set. */
  proxy: ProxyListener | undefined;
  close(): Promise<void>;
}

/** ServerOptions is used by tests to swap the clock or silence the log. */
export interface ServerOptions {
  clock?: Clock;
  logger?: Logger | false;
  /** Called with the generated admin password, the one time it exists. */
  onAdminPassword?: (password: string) => void;
}

/** createServerLogger is used by main (stdout) and by tests (a captured stream) alike. */
export function createServerLogger(
  level: LevelWithSilent,
  destination?: DestinationStream,
): Logger {
  const options = { level, redact: ['req.headers.authorization'] };
  return destination === undefined ? pino(options) : pino(options, destination);
}

/** createContext is used to open the database, migrate it and build the shared parts. */
export async function createContext(
  config: ServerConfig,
  clock: Clock,
  log: Logger,
): Promise<AppContext> {
  const onLoosePermissions = (message: string, path: string): void => log.warn({ path }, message);
  // The data dir holds the frps config and the local node's identity, besides SQLite's files.
  ensurePrivateDir(config.dataDir, onLoosePermissions);
  // Not listening yet while it waits: the app is built from what the database holds (keys).
  const db = await openMigratedDatabase(config.databaseUrl, {
    onLoosePermissions,
    onRetry: ({ attempt, retryInMs, code, message }) =>
      log.warn({ attempt, retryInMs, code, err: message }, 'database not reachable, retrying'),
    onCheckpointerError: (e) =>
      log.warn(
        { err: e.message },
        'SQLite checkpoint worker failed; the server checkpoints itself',
      ),
  });
  try {
    const key = Buffer.from(await loadOrCreateSecret(db.kysely, 'jwt_signing_key'), 'base64url');
    const jwt = createJwtSigner(key, config.jwtTtlSeconds, () => clock.now());
    const loginLimiter = createLoginLimiter({
      freeFailures: config.loginMaxFailures,
      maxFailuresPerAddress: config.loginMaxPerAddress,
      windowMs: config.loginWindowSeconds * 1000,
      now: () => clock.now(),
    });
    const authenticate = createAuthenticator(db.kysely, jwt, clock);
    return {
      config,
      db,
      claimInserts: createGroupCommit(db.kysely),
      clock,
      jwt,
      loginLimiter,
      authenticate,
      agentTokenKey: await loadOrCreateSecret(db.kysely, 'agent_token_key'),
      agentClient: createAgentClient({ timeoutMs: config.agentTimeoutMs }),
      signals: createControllerSignals(),
      metrics: createServerMetrics(db.kysely),
      tunnel:
        config.frp.mode === 'off'
          ? undefined
          : await createTunnel(db.kysely, config.frp, config.dataDir, log),
      liveFigures: new LiveNodeFigures(),
      proxy:
        config.proxy === undefined
          ? undefined
          : {
              cookieKey: await loadOrCreateSecret(db.kysely, 'proxy_cookie_key'),
              publicUrl: config.proxy.publicUrl ?? '',
            },
      watch: createWatchService({
        db,
        config: config.watch,
        authenticate,
        log: (msg, extra) => log.warn(extra ?? {}, msg),
      }),
    };
  } catch (e) {
    await db.close();
    throw e;
  }
}

const SHUTDOWN_GRACE_MS = 5000;

/** startServer is used by main and by tests: migrate, bootstrap the admin, listen. */
export async function startServer(
  config: ServerConfig,
  options: ServerOptions = {},
): Promise<RunningServer> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? createServerLogger(config.logLevel);
  const log: Logger = logger || pino({ enabled: false });
  const ctx = await createContext(config, clock, log);
  const admin = await ensureAdmin(ctx.db.kysely, clock, config.adminPassword);
  if (config.bootstrapJoinToken !== undefined)
    await acceptBootstrapJoinToken(ctx.db.kysely, clock, config.bootstrapJoinToken);
  if (admin.generatedPassword !== undefined) options.onAdminPassword?.(admin.generatedPassword);
  await ctx.watch.start();
  const built = await buildApp(ctx, logger);
  const address = await built.app.listen({ host: config.host, port: config.port });
  const url = address.replace('0.0.0.0', '127.0.0.1').replace('[::]', '127.0.0.1');
  await ctx.tunnel?.start(Number(new URL(url).port));
  const proxy = await startProxy(ctx);
  const controller = createController(ctx, (msg, extra) =>
    logger ? logger.info(extra ?? {}, msg) : undefined,
  );
  await controller.start();
  return {
    url,
    ctx,
    built,
    controller,
    proxy,
    async close() {
      await controller.stop();
      await ctx.tunnel?.stop();
      // Fastify closes idle keep-alive connections, but Node waits for the rest up to its
      // headersTimeout (60 s): a client that connected and sent nothing, or a request that hangs.
      // After a grace for requests in flight, they are cut.
      const cut = setTimeout(() => built.app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      try {
        await built.app.close();
      } finally {
        clearTimeout(cut);
      }
      await proxy?.close();
      await ctx.db.close();
    },
  };
}
