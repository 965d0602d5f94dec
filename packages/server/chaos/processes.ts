// The processes a chaos run starts: each one tracked by pid, logged to its own file, killed or
// paused only through these handles, so the run never touches a process it did not start.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { join } from 'node:path';

/** ProcessSpec is used to say how to (re)start one process of the chaos cluster. */
export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** ExitListener is used to hear of a process that exited without the runner ending it. */
export type ExitListener = (name: string, code: number | null, signal: string | null) => void;

/** ManagedProcess is used to start, kill -9, pause and resume one process the runner owns. */
export interface ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  pid(): number | undefined;
  isRunning(): boolean;
  isPaused(): boolean;
  start(): void;
  /** kill9 is used for a crash: SIGKILL, then wait until the kernel reaped it. */
  kill9(): Promise<void>;
  pause(): void;
  resume(): void;
  /** stop is used at the end: SIGCONT, SIGTERM, SIGKILL after a grace. */
  stop(graceMs?: number): Promise<void>;
}

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

/** createProcess is used to wrap one process spec; nothing starts until start(). */
/**
 * createProcess is used to wrap one process spec; nothing starts until start(). A process that
 * exits on its own (not through kill9 or stop) is restarted after a second, as systemd's
 * Restart=always would, and reported to onUnexpectedExit.
 */
export function createProcess(
  spec: ProcessSpec,
  logDir: string,
  onUnexpectedExit?: ExitListener,
): ManagedProcess {
  const logFile = join(logDir, `${spec.name}.log`);
  let child: ChildProcess | undefined;
  let paused = false;
  // Set while the runner wants the process down (a kill fault, or the end of the run).
  let wantedDown = false;
  const alive = (): boolean =>
    child !== undefined && child.exitCode === null && child.signalCode === null;
  const signal = (sig: NodeJS.Signals): void => {
    if (alive()) child?.kill(sig);
  };
  const handle: ManagedProcess = {
    name: spec.name,
    logFile,
    pid: () => (alive() ? child?.pid : undefined),
    isRunning: alive,
    isPaused: () => paused && alive(),
    start() {
      if (alive()) return;
      wantedDown = false;
      const fd = openSync(logFile, 'a');
      const c = spawn(spec.command, [...spec.args], {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        stdio: ['ignore', fd, fd],
      });
      child = c;
      closeSync(fd);
      paused = false;
      c.once('exit', (code, sig) => {
        if (wantedDown || child !== c || !onUnexpectedExit) return;
        onUnexpectedExit(spec.name, code, sig);
        setTimeout(() => {
          if (!wantedDown && child === c) handle.start();
        }, 1_000);
      });
    },
    async kill9() {
      const c = child;
      wantedDown = true;
      if (!c || !alive()) return;
      c.kill('SIGKILL');
      await exited(c);
      paused = false;
    },
    pause() {
      signal('SIGSTOP');
      paused = alive();
    },
    resume() {
      signal('SIGCONT');
      paused = false;
    },
    async stop(graceMs = 5_000) {
      const c = child;
      wantedDown = true;
      if (!c || !alive()) return;
      c.kill('SIGCONT');
      c.kill('SIGTERM');
      const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
      await exited(c);
      clearTimeout(timer);
      paused = false;
    },
  };
  return handle;
}
