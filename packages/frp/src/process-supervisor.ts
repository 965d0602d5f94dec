// Keeps one long-running child process (frps or frpc) alive: start, readiness probe, restart with
// exponential backoff, graceful stop. Node reaps every child it spawns (libuv waits on SIGCHLD),
// and we track liveness through the 'exit' event, never through `kill(pid, 0)` — the original
// agent's zombie bug (a dead frpc still "answered" signal 0 because nobody waited for it).
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { createInterface } from 'node:readline';
import { reapStaleProcess, removePidFile, writePidFile } from './pid-file.js';

const execFileAsync = promisify(execFile);

/** SupervisorState is used to report where the supervised process is in its life cycle. */
export type SupervisorState = 'idle' | 'starting' | 'running' | 'backoff' | 'stopping' | 'stopped';

/** BackoffOptions is used to tune restarts: doubling delays, reset after a long enough run. */
export interface BackoffOptions {
  readonly initialMs: number;
  readonly maxMs: number;
  /** A process that stayed up this long is healthy again: the next restart waits initialMs. */
  readonly resetAfterMs: number;
}

/** ProcessExitInfo is used to tell listeners how a run ended and when the next one starts. */
export interface ProcessExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
  readonly uptimeMs: number;
  /** null when no restart follows (stop() was called). */
  readonly restartInMs: number | null;
}

/** ProcessSupervisorOptions is used to describe the process and the hooks around each run. */
export interface ProcessSupervisorOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Runs before every (re)start, e.g. to rewrite the config file. A throw counts as a crash. */
  readonly prepare?: () => Promise<void>;
  /** Polled after spawn until true; the run only counts as `running` (and onStart fires) then. */
  readonly isReady?: () => Promise<boolean>;
  readonly readyPollMs?: number;
  readonly onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Fires on every start that became ready: consumers re-read state that a restart wiped. */
  readonly onStart?: (info: { readonly pid: number; readonly starts: number }) => void;
  readonly onExit?: (info: ProcessExitInfo) => void;
  readonly backoff?: Partial<BackoffOptions>;
  /** How long stop() waits after SIGTERM before SIGKILL. */
  readonly stopTimeoutMs?: number;
  /**
   * Where to record the child's pid. Before each start, a leftover process named there and
   * running the same command line (an orphan of a crashed parent) is ended first.
   */
  readonly pidFile?: string;
  readonly onStaleProcessEnded?: (pid: number) => void;
}

/** DEFAULT_BACKOFF is used when the caller does not tune restarts. */
export const DEFAULT_BACKOFF: BackoffOptions = {
  initialMs: 500,
  maxMs: 30_000,
  resetAfterMs: 60_000,
};

/** restartDelayMs is used to compute the wait before restart number `failures` (1-based). */
export function restartDelayMs(failures: number, backoff: BackoffOptions): number {
  const exp = Math.max(0, failures - 1);
  return Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(exp, 30));
}

/** ProcessSupervisor is used to keep one child process running until stop() is called. */
export class ProcessSupervisor {
  readonly #opts: ProcessSupervisorOptions;
  readonly #backoff: BackoffOptions;
  #state: SupervisorState = 'idle';
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;
  #starts = 0;

  constructor(opts: ProcessSupervisorOptions) {
    this.#opts = opts;
    this.#backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
  }

  /** The current life-cycle state. */
  get state(): SupervisorState {
    return this.#state;
  }

  /** The pid of the live child, if any. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** How many runs have become ready so far. */
  get starts(): number {
    return this.#starts;
  }

  /** Starts the first run; later runs follow by themselves until stop(). */
  start(): void {
    if (this.#state !== 'idle') throw new Error(`supervisor already ${this.#state}`);
    void this.#run();
  }

  async #run(): Promise<void> {
    this.#timer = undefined;
    this.#state = 'starting';
    const startedAt = Date.now();
    const { pidFile } = this.#opts;
    try {
      if (pidFile) {
        const stale = await reapStaleProcess(pidFile, this.#opts.command, this.#opts.args);
        if (stale !== undefined) this.#opts.onStaleProcessEnded?.(stale);
      }
      await this.#opts.prepare?.();
    } catch (error) {
      this.#afterExit({ code: null, signal: null, error: toError(error), startedAt });
      return;
    }
    if (this.#isStopping()) return;
    const child = spawn(this.#opts.command, [...this.#opts.args], {
      env: this.#opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    const pidWritten =
      pidFile && child.pid !== undefined
        ? writePidFile(pidFile, child.pid).catch(() => undefined)
        : Promise.resolve();
    this.#exited = new Promise<void>((resolve) => {
      let settled = false;
      const settle = (code: number | null, signal: NodeJS.Signals | null, error?: Error): void => {
        if (settled) return;
        settled = true;
        this.#child = undefined;
        // stop() resolves only once the pid file is gone, so a new start never finds our own.
        const cleanup = pidFile ? pidWritten.then(() => removePidFile(pidFile)) : pidWritten;
        void cleanup.catch(() => undefined).then(() => resolve());
        this.#afterExit({ code, signal, error, startedAt });
      };
      child.once('exit', (code, signal) => settle(code, signal));
      // 'error' without a pid means spawn itself failed (ENOENT, EACCES): no 'exit' will follow.
      child.once('error', (error) => {
        if (child.pid === undefined) settle(null, null, error);
      });
    });
    this.#pipe(child);
    void this.#awaitReady(child, pidWritten);
  }

  #pipe(child: ChildProcess): void {
    const onOutput = this.#opts.onOutput;
    for (const [stream, name] of [
      [child.stdout, 'stdout'],
      [child.stderr, 'stderr'],
    ] as const) {
      if (!stream) continue;
      const lines = createInterface({ input: stream, crlfDelay: Infinity });
      lines.on('line', (line) => onOutput?.(line, name));
    }
  }

  async #awaitReady(child: ChildProcess, pidWritten: Promise<void>): Promise<void> {
    const probe = this.#opts.isReady;
    const pollMs = this.#opts.readyPollMs ?? 100;
    // A run counts as running only once its pid file names it, so whoever reads the file then finds it.
    await pidWritten;
    while (probe && this.#child === child && !this.#isStopping()) {
      if (await probe().catch(() => false)) break;
      await delay(pollMs);
    }
    if (this.#child !== child || this.#isStopping() || child.pid === undefined) return;
    this.#state = 'running';
    this.#starts += 1;
    this.#opts.onStart?.({ pid: child.pid, starts: this.#starts });
  }

  #afterExit(run: {
    code: number | null;
    signal: NodeJS.Signals | null;
    error: Error | undefined;
    startedAt: number;
  }): void {
    const uptimeMs = Date.now() - run.startedAt;
    const stopping = this.#isStopping();
    let restartInMs: number | null = null;
    if (!stopping) {
      // A run that lasted long enough proves the config works: start counting failures afresh.
      this.#failures = uptimeMs >= this.#backoff.resetAfterMs ? 1 : this.#failures + 1;
      restartInMs = restartDelayMs(this.#failures, this.#backoff);
      this.#state = 'backoff';
      this.#timer = setTimeout(() => void this.#run(), restartInMs);
    }
    this.#opts.onExit?.({
      code: run.code,
      signal: run.signal,
      ...(run.error ? { error: run.error } : {}),
      uptimeMs,
      restartInMs,
    });
  }

  #isStopping(): boolean {
    return this.#state === 'stopping' || this.#state === 'stopped';
  }

  /**
   * Ends the current run (SIGTERM, SIGKILL after stopTimeoutMs) so that the normal restart path
   * starts a fresh one, e.g. for a watchdog that sees a live process with a dead tunnel.
   */
  restart(): void {
    const child = this.#child;
    if (!child || this.#isStopping()) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), this.#opts.stopTimeoutMs ?? 5_000);
    killer.unref();
    child.once('exit', () => clearTimeout(killer));
  }

  /** Stops restarting and ends the child: SIGTERM, then SIGKILL after stopTimeoutMs. */
  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    this.#state = 'stopping';
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    const child = this.#child;
    if (child) {
      child.kill('SIGTERM');
      const timeoutMs = this.#opts.stopTimeoutMs ?? 5_000;
      const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await this.#exited;
      clearTimeout(killer);
    }
    this.#state = 'stopped';
  }
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * writeVerifiedConfig is used before each start of frps or frpc: write the config (0600, in a
 * 0700 folder), then let the binary check it, so a bad config is one clear error instead of a
 * crash loop (frp's strict parser rejects unknown keys).
 */
export async function writeVerifiedConfig(
  binaryPath: string,
  configDir: string,
  configPath: string,
  write: () => Promise<void>,
): Promise<void> {
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  await write();
  try {
    await execFileAsync(binaryPath, ['verify', '-c', configPath], { timeout: 10_000 });
  } catch (error) {
    const detail = error instanceof Error && 'stdout' in error ? String(error.stdout) : '';
    throw new Error(`${basename(binaryPath)} verify failed: ${detail.trim() || String(error)}`);
  }
}

/**
 * frpProcess is used by the frps and frpc supervisors alike: run `binary -c config`, writing and
 * verifying the config before every start.
 */
export function frpProcess(
  binaryPath: string,
  configDir: string,
  configPath: string,
  write: () => Promise<void>,
): Pick<ProcessSupervisorOptions, 'command' | 'args' | 'prepare'> {
  return {
    command: binaryPath,
    args: ['-c', configPath],
    prepare: () => writeVerifiedConfig(binaryPath, configDir, configPath, write),
  };
}

/** frpLogLevel is used to map an frp log line (`... [W] [server/x.go:1] ...`) to a log level. */
export function frpLogLevel(line: string): 'info' | 'warn' | 'error' {
  if (/\[E\]/.test(line)) return 'error';
  if (/\[W\]/.test(line)) return 'warn';
  return 'info';
}

/** describeExit is used to log why a supervised process stopped and what happens next. */
export function describeExit(name: string, info: ProcessExitInfo): string {
  const how = info.error
    ? info.error.message
    : `exited (code ${info.code ?? 'none'}, signal ${info.signal ?? 'none'})`;
  const next = info.restartInMs === null ? 'not restarting' : `restart in ${info.restartInMs} ms`;
  return `${name} ${how} after ${info.uptimeMs} ms; ${next}`;
}
