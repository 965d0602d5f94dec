// Running the built `utopia` binary as a subprocess, as a user would.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** BIN is the committed launcher npm links as `utopia`; it runs dist/main.js. */
export const BIN = fileURLToPath(new URL('../../bin/utopia.js', import.meta.url));
const DIST = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

/** CliResult is used to check one run. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** runCli is used by the tests: argv, an environment on top of a clean one, optional stdin. */
export function runCli(
  args: readonly string[],
  env: Record<string, string>,
  opts: { stdin?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run build first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // Only what the CLI should see: no UTOPIA_* of the test runner's own.
      env: { PATH: process.env.PATH ?? '', HOME: env.HOME ?? '/nonexistent', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? '');
  });
}
