// Runs the agent's frpc: writes frpc.toml (0600), checks it with `frpc verify`, starts frpc and
// restarts it with backoff when it exits. frpc reconnects to frps by itself (loginFailExit =
// false), so exits are rare; the restart delays stay long on purpose, because each new frpc
// process has a new run_id and can prolong "proxy already exists" conflicts (frp.md §5.1).
import { join } from 'node:path';
import {
  fetchFrpcStatus,
  tunnelHealth,
  type FrpcProxyStatus,
  type TunnelHealth,
} from './frpc-admin.client.js';
import {
  CONTROL_PROXY_NAME,
  FRPC_ADMIN_USER,
  writeFrpcConfig,
  type FrpcConfigOptions,
} from './frpc-config.js';
import {
  ProcessSupervisor,
  type BackoffOptions,
  type SupervisorState,
  frpProcess,
  frpLogLevel,
  describeExit,
} from '@utopia/frp';

/** FrpcLogFn is used to receive frpc's output lines and the supervisor's own notes. */
export type FrpcLogFn = (level: 'info' | 'warn' | 'error', message: string) => void;

/** FrpcSupervisorOptions is used to configure createFrpcSupervisor. */
export interface FrpcSupervisorOptions {
  readonly binaryPath: string;
  /** frpc.toml is written here (mode 0600); the folder is created 0700 if missing. */
  readonly configDir: string;
  readonly config: FrpcConfigOptions;
  readonly log?: FrpcLogFn;
  readonly backoff?: Partial<BackoffOptions>;
  readonly stopTimeoutMs?: number;
  /**
   * Restarts frpc when its control tunnel has not been `running` for restartAfterMs while the
   * process lives: frpc sometimes never reconnects after a half-open connection (frp #4374,
   * #5341). Long by default, because "already exists" conflicts heal by themselves in ~90 s.
   * `false` turns it off.
   */
  readonly watchdog?: FrpcWatchdogOptions | false;
}

/** FrpcWatchdogOptions is used to tune the tunnel watchdog. */
export interface FrpcWatchdogOptions {
  readonly intervalMs?: number;
  readonly restartAfterMs?: number;
}

/** FrpcStatus is used for the agent's view of its tunnel: process state plus frpc's own report. */
export interface FrpcStatus {
  readonly process: SupervisorState;
  readonly pid?: number;
  /** Health of the `control` tunnel. */
  readonly control: TunnelHealth;
  readonly proxies: readonly FrpcProxyStatus[];
  /** Set when frpc's admin API could not be read. */
  readonly error?: string;
}

/** FrpcSupervisor is used by the agent to own the frpc process. */
export interface FrpcSupervisor {
  readonly state: SupervisorState;
  readonly configPath: string;
  start(): void;
  stop(): Promise<void>;
  /** Reads frpc's admin API; never throws. */
  status(): Promise<FrpcStatus>;
}

/** FRPC_BACKOFF is used as frpc's default restart policy (slower than frps's, see header). */
export const FRPC_BACKOFF: BackoffOptions = {
  initialMs: 2_000,
  maxMs: 60_000,
  resetAfterMs: 120_000,
};

/** createFrpcSupervisor is used to build (not start) the frpc supervisor. */
export function createFrpcSupervisor(opts: FrpcSupervisorOptions): FrpcSupervisor {
  const configPath = join(opts.configDir, 'frpc.toml');
  const adminUrl = `http://127.0.0.1:${opts.config.adminPort}`;
  const log: FrpcLogFn = opts.log ?? (() => undefined);
  let lastHealthyAt = Date.now();
  let watchdogTimer: NodeJS.Timeout | undefined;
  let checking = false;

  const supervisor = new ProcessSupervisor({
    ...frpProcess(opts.binaryPath, opts.configDir, configPath, () =>
      writeFrpcConfig(configPath, opts.config),
    ),
    // /healthz needs no auth and only says the process serves its admin API, which is all
    // `running` means here; tunnel health comes from status().
    isReady: async () => {
      const res = await fetch(`${adminUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
      await res.body?.cancel();
      return res.ok;
    },
    pidFile: join(opts.configDir, 'frpc.pid'),
    onStaleProcessEnded: (pid) => log('warn', `ended a leftover frpc (pid ${pid})`),
    onOutput: (line) => log(frpLogLevel(line), `frpc: ${line}`),
    onStart: (info) => {
      lastHealthyAt = Date.now();
      log('info', `frpc running (pid ${info.pid}, start #${info.starts})`);
    },
    onExit: (info) => log(info.restartInMs === null ? 'info' : 'warn', describeExit('frpc', info)),
    backoff: { ...FRPC_BACKOFF, ...opts.backoff },
    ...(opts.stopTimeoutMs !== undefined ? { stopTimeoutMs: opts.stopTimeoutMs } : {}),
  });

  const status = async (): Promise<FrpcStatus> => {
    const base = {
      process: supervisor.state,
      ...(supervisor.pid !== undefined ? { pid: supervisor.pid } : {}),
    };
    try {
      const proxies = await fetchFrpcStatus({
        baseUrl: adminUrl,
        user: FRPC_ADMIN_USER,
        password: opts.config.adminPassword,
      });
      return { ...base, control: tunnelHealth(proxies, CONTROL_PROXY_NAME), proxies };
    } catch (error) {
      return { ...base, control: 'disconnected', proxies: [], error: String(error) };
    }
  };

  const watchdog = async (restartAfterMs: number): Promise<void> => {
    if (checking || supervisor.state !== 'running') return;
    checking = true;
    try {
      const current = await status();
      if (current.control === 'running') lastHealthyAt = Date.now();
      else if (supervisor.state === 'running' && Date.now() - lastHealthyAt >= restartAfterMs) {
        log('warn', `frpc control tunnel ${current.control} for ${restartAfterMs} ms; restarting`);
        lastHealthyAt = Date.now();
        supervisor.restart();
      }
    } finally {
      checking = false;
    }
  };

  return {
    get state() {
      return supervisor.state;
    },
    configPath,
    start() {
      supervisor.start();
      if (opts.watchdog === false) return;
      const restartAfterMs = opts.watchdog?.restartAfterMs ?? 5 * 60_000;
      watchdogTimer = setInterval(
        () => void watchdog(restartAfterMs),
        opts.watchdog?.intervalMs ?? 15_000,
      );
      watchdogTimer.unref();
    },
    async stop() {
      clearInterval(watchdogTimer);
      await supervisor.stop();
    },
    status,
  };
}
