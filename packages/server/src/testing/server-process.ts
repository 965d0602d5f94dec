// Runs utopia-server (main.ts) as its own process, the way an operator runs a replica, so tests
// can kill -9 it or stop it with SIGSTOP; tests only.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { apiClient, type TestServer } from './harness.js';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));

/** ServerProcess is used to drive and signal one server replica. */
export interface ServerProcess {
  name: string;
  child: ChildProcess;
  url: string;
  api: TestServer['api'];
  /** Everything the process logged so far (pino JSON lines and stderr). */
  log(): string;
  /** Resolves with the exit code (or null after a signal) once the process has ended. */
  exited: Promise<number | null>;
}

/** spawnServer is used to start main.ts with only this environment (and PATH); it answers once it listens. */
export async function spawnServer(
  name: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--conditions=utopia-source', '--import', 'tsx', main], {
    env: { PATH: process.env.PATH, ...env, UTOPIA_HOST: '127.0.0.1', UTOPIA_PORT: '0' },
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not listen:\n${log}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      log += d.toString();
      const m = /"msg":"Server listening at (http:\/\/127\.0\.0\.1:\d+)"/.exec(log);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early:\n${log}`));
    });
  });
  return { name, child, url, api: apiClient(() => url), log: () => log, exited };
}

/** endServer is used after a test: a stopped process is resumed first, so SIGKILL ends it. */
export async function endServer(p: ServerProcess | undefined): Promise<void> {
  if (!p || p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGCONT');
  p.child.kill('SIGKILL');
  await p.exited;
}
