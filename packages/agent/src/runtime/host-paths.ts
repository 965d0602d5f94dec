// Which host paths a claim may mount: only those under the admin's allowedHostPaths, judged by
// the real path (every symlink resolved), so a link inside an allowed tree cannot lead out of it.
import { realpath } from 'node:fs/promises';
import { isAbsolute, normalize } from 'node:path';
import { agentErrors } from '../agent-error.js';

/** AllowedHostPath is used for one allowedHostPaths entry; readOnly: claims may not write there. */
export interface AllowedHostPath {
  path: string;
  readOnly: boolean;
}

/** HostBind is used for a host path the agent decided to bind: its real path on this node. */
export interface HostBind {
  source: string;
  target: string;
  readOnly: boolean;
}

/**
 * parseAllowedHostPaths is used to read the setting `PATH[:ro],PATH[:ro]`; it answers a problem
 * (for the config error) or the entries. "/" is refused: it would allow the whole machine.
 */
export function parseAllowedHostPaths(value: string): AllowedHostPath[] | string {
  const entries: AllowedHostPath[] = [];
  for (const item of value.split(',').map((s) => s.trim())) {
    if (item === '') continue;
    const readOnly = item.endsWith(':ro');
    const path = readOnly ? item.slice(0, -':ro'.length) : item;
    if (!isAbsolute(path)) return `'${path}' is not an absolute path`;
    const clean = normalize(path).replace(/\/+$/, '');
    if (clean === '') return "'/' would allow every path of this machine";
    if (clean.includes('\0')) return 'a path may not hold NUL';
    entries.push({ path: clean, readOnly });
  }
  return entries;
}

/** isWithin is used to tell whether `path` is `root` or below it (both real, normalised). */
export function isWithin(path: string, root: string): boolean {
  return path === root || path.startsWith(`${root}/`);
}

async function realOrUndefined(path: string): Promise<string | undefined> {
  try {
    return await realpath(path);
  } catch {
    return undefined;
  }
}

/**
 * resolveHostBind is used for each requested host path: it must exist (Docker would otherwise
 * create it, as root), and its real path must lie under the real path of an allowed entry; a
 * read-only entry only takes read-only mounts. The bind uses the real path it checked.
 */
export async function resolveHostBind(
  req: { path: string; mountPath: string; readOnly: boolean },
  allowed: readonly AllowedHostPath[],
): Promise<HostBind> {
  const shown = allowed.map((a) => (a.readOnly ? `${a.path}:ro` : a.path)).join(', ') || 'none';
  const refuse = (why: string): never => {
    throw agentErrors.hostPathNotAllowed(
      `host path ${req.path} ${why} (this node allows: ${shown})`,
    );
  };
  const real = await realOrUndefined(req.path);
  if (real === undefined) return refuse('does not exist on this node');
  let under: AllowedHostPath | undefined;
  for (const entry of allowed) {
    const root = await realOrUndefined(entry.path);
    if (root !== undefined && isWithin(real, root) && (under === undefined || !entry.readOnly))
      under = entry;
  }
  if (under === undefined)
    return refuse(
      real === req.path ? 'is not allowed' : `resolves to ${real}, which is not allowed`,
    );
  if (under.readOnly && !req.readOnly) return refuse(`may only be mounted readOnly`);
  return { source: real, target: req.mountPath, readOnly: req.readOnly };
}
