import type { FastifyPluginAsync, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticator } from './auth/authenticate.js';
import type { JwtSigner } from './auth/jwt.js';
import type { LoginLimiter } from './auth/login-limiter.js';
import type { ServerConfig } from './config/config.js';
import type { Db } from './db/database.js';
import type { GroupCommit } from './db/group-commit.js';
import type { Clock } from './db/time.js';
import type { ControllerSignals } from './controller/signals.js';
import type { AgentClient } from './agent-client/agent-client.js';
import type { ServerMetrics } from './metrics/metrics.js';
import type { Tunnel } from './tunnel/tunnel.service.js';
import type { WatchService } from './watch/watch.service.js';
import type { LiveNodeFigures } from './nodes/live-node-figures.js';

/** AppContext is used to hand every domain module the shared parts it needs, explicitly. */
export interface AppContext {
  config: ServerConfig;
  db: Db;
  /** Group commit of POST /api/gpu-claims inserts (see db/group-commit). */
  claimInserts: GroupCommit;
  clock: Clock;
  jwt: JwtSigner;
  authenticate: Authenticator;
  loginLimiter: LoginLimiter;
  /** Server secret from which each node's agent token is derived. */
  agentTokenKey: string;
  agentClient: AgentClient;
  signals: ControllerSignals;
  metrics: ServerMetrics;
  /** The frp tunnel, when UTOPIA_FRP_MODE is not off. */
  tunnel: Tunnel | undefined;
  /** Watch streams and the change feed behind them. */
  watch: WatchService;
  /** GPU figures and last-seen times from this replica's node polls (the leader's). */
  liveFigures: LiveNodeFigures;
  /** The HTTP proxy to claims' ports, when proxyListen is set. */
  proxy: ProxyState | undefined;
}

/** ProxyState is used to share the proxy's cookie key and its public URL (known once bound). */
export interface ProxyState {
  cookieKey: string;
  /** Without a trailing slash; '' until the listener is bound. */
  publicUrl: string;
}

/** RoutesPlugin is used to type each domain's route plugin (TypeBox-typed handlers). */
export type RoutesPlugin = FastifyPluginAsync<
  { ctx: AppContext },
  RawServerDefault,
  TypeBoxTypeProvider
>;
