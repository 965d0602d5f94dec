import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/** AgentIdentity is used to remember who this node is, across restarts (file mode 0600). */
export interface AgentIdentity {
  nodeId: string;
  /** Bearer credential this node presents to the server. */
  credential: string;
  /** Bearer token the server must present to this agent's API. */
  agentToken: string;
  /** Server that issued the identity. */
  serverUrl: string;
}

/** IdentityFileError is used when the identity file exists but cannot be used. */
export class IdentityFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityFileError';
  }
}

/** readIdentity is used to load the identity file; undefined when there is none (first start). */
export async function readIdentity(path: string): Promise<AgentIdentity | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return undefined;
    throw new IdentityFileError(`cannot read identity file ${path}: ${String(err)}`);
  }
  if (text.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new IdentityFileError(`identity file ${path} is not JSON; remove it to register again`);
  }
  if (!isIdentity(parsed)) {
    throw new IdentityFileError(
      `identity file ${path} lacks nodeId/credential/agentToken/serverUrl; remove it to register again`,
    );
  }
  return parsed;
}

/**
 * writeIdentity is used to persist the identity atomically: a crash leaves either the old file or
 * the new one, never half of one (write a temporary file, fsync, rename, fsync the directory).
 */
export async function writeIdentity(path: string, identity: AgentIdentity): Promise<void> {
  const dir = dirname(path);
  // Tighten only a directory we create: chmod on an existing one (say /tmp) could break the host.
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (created !== undefined) await chmod(dir, 0o700);
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const body = `${JSON.stringify(identity, null, 2)}\n`;
  const handle = await open(tmp, 'wx', 0o600);
  try {
    await handle.writeFile(body, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  await rename(tmp, path);
  const dirHandle = await open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}

function isIdentity(value: unknown): value is AgentIdentity {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return ['nodeId', 'credential', 'agentToken', 'serverUrl'].every(
    (k) => typeof v[k] === 'string' && v[k] !== '',
  );
}

function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === code;
}
