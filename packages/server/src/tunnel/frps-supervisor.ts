// Runs the server's frps: writes frps.toml (0600), validates it with `frps verify`, starts frps,
// restarts it with backoff, and tells listeners after every start so discovery re-reads ports
// (frps keeps everything in memory: a restart may move `remotePort = 0` tunnels).
import { join } from 'node:path';
import { writeFrpsConfig, type FrpsConfigOptions } from './frps-config.js';
import {
  ProcessSupervisor,
  type BackoffOptions,
  type SupervisorState,
  frpProcess,
  frpLogLevel,
  describeExit,
} from '@utopia/frp';

/** FrpsLogFn is used to receive frps's output lines and the supervisor's own notes. */
export type FrpsLogFn = (level: 'info' | 'warn' | 'error', message: string) => void;

/** FrpsStartListener is used to react to each frps (re)start, once its admin API answers. */
export type FrpsStartListener = (info: { readonly pid: number; readonly starts: number }) => void;

/** FrpsSupervisorOptions is used to configure createFrpsSupervisor. */
export interface FrpsSupervisorOptions {
  readonly binaryPath: string;
  /** frps.toml is written here (mode 0600); the folder is created 0700 if missing. */
  readonly configDir: string;
  readonly config: FrpsConfigOptions;
  readonly log?: FrpsLogFn;
  readonly backoff?: Partial<BackoffOptions>;
  readonly stopTimeoutMs?: number;
}

/** FrpsSupervisor is used by the server to own the frps process. */
export interface FrpsSupervisor {
  readonly state: SupervisorState;
  readonly pid: number | undefined;
  readonly configPath: string;
  /** Base URL of the frps admin API (127.0.0.1). */
  readonly adminUrl: string;
  start(): void;
  stop(): Promise<void>;
  /** Registers a listener for every start; returns a function that removes it. */
  onStart(listener: FrpsStartListener): () => void;
}

/** createFrpsSupervisor is used to build (not start) the frps supervisor. */
export function createFrpsSupervisor(opts: FrpsSupervisorOptions): FrpsSupervisor {
  const configPath = join(opts.configDir, 'frps.toml');
  const adminUrl = `http://127.0.0.1:${opts.config.webServer.port}`;
  const log: FrpsLogFn = opts.log ?? (() => undefined);
  const listeners = new Set<FrpsStartListener>();

  const supervisor = new ProcessSupervisor({
    ...frpProcess(opts.binaryPath, opts.configDir, configPath, () =>
      writeFrpsConfig(configPath, opts.config),
    ),
    isReady: () => isHealthy(adminUrl),
    // A hard-killed server leaves frps holding bindPort; end it before starting ours.
    pidFile: join(opts.configDir, 'frps.pid'),
    onStaleProcessEnded: (pid) => log('warn', `ended a leftover frps (pid ${pid})`),
    onOutput: (line) => log(frpLogLevel(line), `frps: ${line}`),
    onStart: (info) => {
      log('info', `frps ready (pid ${info.pid}, start #${info.starts})`);
      for (const listener of listeners) listener(info);
    },
    onExit: (info) => log(info.restartInMs === null ? 'info' : 'warn', describeExit('frps', info)),
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
    ...(opts.stopTimeoutMs !== undefined ? { stopTimeoutMs: opts.stopTimeoutMs } : {}),
  });

  return {
    get state() {
      return supervisor.state;
    },
    get pid() {
      return supervisor.pid;
    },
    configPath,
    adminUrl,
    start: () => supervisor.start(),
    stop: () => supervisor.stop(),
    onStart(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** `/healthz` needs no auth and answers once frps's web server (and so frps) is up. */
async function isHealthy(adminUrl: string): Promise<boolean> {
  const res = await fetch(`${adminUrl}/healthz`, { signal: AbortSignal.timeout(1_000) });
  await res.body?.cancel();
  return res.ok;
}
