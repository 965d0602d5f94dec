// Locates the frps/frpc binaries: explicit paths first (operators may ship release binaries),
// then the pinned build made by scripts/build-frp.sh, building it when missing.
//
// NOTE: packages/agent/src/tunnel/ and packages/server/src/tunnel/ hold byte-identical copies of
// this file (a server test guards it) until it moves to @utopia/shared.
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
 * ensureFrpBinaries is used to get runnable frps/frpc paths. `UTOPIA_FRPS_BIN` / `UTOPIA_FRPC_BIN`
 * win when both are set; otherwise scripts/build-frp.sh builds the pinned version (about a minute
 * cold, instant when cached) and prints its folder.
 */
export async function ensureFrpBinaries(
  env: NodeJS.ProcessEnv = process.env,
): Promise<FrpBinaries> {
  const frps = env['UTOPIA_FRPS_BIN'];
  const frpc = env['UTOPIA_FRPC_BIN'];
  if (frps && frpc) return { frps, frpc };
  const root = findRepoRoot();
  if (!root) throw new Error('frp binaries: set UTOPIA_FRPS_BIN and UTOPIA_FRPC_BIN');
  const { stdout } = await execFileAsync('bash', [join(root, 'scripts', 'build-frp.sh')], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
    timeout: 15 * 60_000,
  });
  const binDir = stdout.trim().split('\n').pop() ?? '';
  return { frps: join(binDir, 'frps'), frpc: join(binDir, 'frpc') };
}
