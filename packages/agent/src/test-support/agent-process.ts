// Runs utopia-agent (main.ts) as its own process, the way an operator does; tests only.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../main.ts', import.meta.url));

/** AgentProcess is used to watch and stop an agent process. */
export interface AgentProcess {
  child: ChildProcess;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** Everything the process wrote to stderr so far (its JSON log lines). */
  log(): string;
  /** Resolves with the API URL from the "agent ready" log line; rejects if the process ends first. */
  ready: Promise<string>;
}

/** spawnAgent is used to start main.ts with these arguments and only this environment (and PATH). */
export function spawnAgent(args: string[], env: NodeJS.ProcessEnv = {}): AgentProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=utopia-source', '--import', 'tsx', main, ...args],
    { env: { PATH: process.env.PATH, ...env } },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let log = '';
  const ready = new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"[^\n]*"msg":"agent ready"/.exec(log);
      if (m?.[1]) resolve(m[1]);
    });
    void exited.then(() => reject(new Error(`agent exited early:\n${log}`)));
  });
  ready.catch(() => undefined); // a caller that never waits for it must not see a stray rejection
  return { child, exited, log: () => log, ready };
}
