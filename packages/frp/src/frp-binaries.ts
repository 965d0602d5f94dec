// Locates the frps/frpc binaries: explicit paths first (operators may ship release binaries),
// then the pinned build made by scripts/build-frp.sh, building it when missing.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** FrpBinaries is used to pass both frp executables around together. */
export interface FrpBinaries {
  readonly frps: string;
  readonly frpc: string;
}

/** findRepoRoot is used to find the checkout that holds scripts/build-frp.sh, from this file up. */
export function findRepoRoot(
  from: string = dirname(fileURLToPath(import.meta.url)),
): string | null {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'scripts', 'build-frp.sh'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * resolveFrpBinary is used to get a runnable frps or frpc: the operator's own binary when given
 * (UTOPIA_FRPS_BIN, UTOPIA_AGENT_FRPC_BIN), else the pinned build of scripts/build-frp.sh, built
 * when missing (about a minute cold with Go and its module proxy, instant when cached).
 */
export async function resolveFrpBinary(
  name: 'frps' | 'frpc',
  explicit: string | undefined,
): Promise<string> {
  if (explicit) return explicit;
  const root = findRepoRoot();
  if (!root)
    throw new Error(`no ${name} binary: set its path (UTOPIA_FRPS_BIN / UTOPIA_AGENT_FRPC_BIN)`);
  const { stdout } = await execFileAsync('bash', [join(root, 'scripts', 'build-frp.sh')], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  const binDir = stdout.trim().split('\n').pop() ?? '';
  return join(binDir, name);
}

/** ensureFrpBinaries is used by tests to get both binaries (UTOPIA_FRPS_BIN / UTOPIA_FRPC_BIN or the build). */
export async function ensureFrpBinaries(
  env: NodeJS.ProcessEnv = process.env,
): Promise<FrpBinaries> {
  const frps = await resolveFrpBinary('frps', env['UTOPIA_FRPS_BIN']);
  const frpc = await resolveFrpBinary(
    'frpc',
    env['UTOPIA_FRPC_BIN'] ?? env['UTOPIA_AGENT_FRPC_BIN'],
  );
  return { frps, frpc };
}
