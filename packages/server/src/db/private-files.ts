// The data directory and the SQLite files hold the JWT signing key and the key every node's
// agent token derives from: no other local user may read them, whatever the umask.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';

/** PermissionWarning is used to report a path whose mode was looser than it should be. */
export type PermissionWarning = (message: string, path: string) => void;

const PRIVATE_DIR = 0o700;
const PRIVATE_FILE = 0o600;
const GROUP_OR_OTHER = 0o077;
const STICKY = 0o1000;

function octal(mode: number): string {
  return `0${(mode & 0o777).toString(8)}`;
}

function errorCode(e: unknown): string | undefined {
  return e instanceof Error && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

/**
 * ensurePrivateDir is used for a directory the server owns: created 0700 (mkdir's mode passes
 * through the umask, so it is set again explicitly); an existing one readable by others is
 * tightened, with a warning. A shared sticky directory such as /tmp is never changed.
 */
export function ensurePrivateDir(path: string, warn: PermissionWarning): void {
  if (mkdirSync(path, { recursive: true, mode: PRIVATE_DIR }) !== undefined) {
    chmodSync(path, PRIVATE_DIR);
    return;
  }
  const { mode } = statSync(path);
  if ((mode & GROUP_OR_OTHER) === 0) return;
  if ((mode & STICKY) !== 0) {
    warn(`${path} is a shared directory (mode ${octal(mode)}); keep Utopia's data elsewhere`, path);
    return;
  }
  try {
    chmodSync(path, PRIVATE_DIR);
    warn(`${path} was open to other users (mode ${octal(mode)}); set it to 0700`, path);
  } catch (e) {
    warn(
      `${path} is open to other users (mode ${octal(mode)}) and chmod failed: ${errorCode(e)}`,
      path,
    );
  }
}

/** createPrivateDir is used for a directory the server may create but does not own (a DB path). */
export function createPrivateDir(path: string): void {
  if (mkdirSync(path, { recursive: true, mode: PRIVATE_DIR }) !== undefined) {
    chmodSync(path, PRIVATE_DIR);
  }
}

/**
 * ensurePrivateFile is used for a file with secrets: with `create`, a missing file is created 0600
 * (empty); an existing file readable by others is set to 0600, with a warning. Modes are set by
 * path, never through a file descriptor: closing one would drop SQLite's POSIX locks on the file.
 */
export function ensurePrivateFile(path: string, warn: PermissionWarning, create: boolean): void {
  if (create) {
    try {
      closeSync(openSync(path, 'wx', PRIVATE_FILE));
      chmodSync(path, PRIVATE_FILE);
      return;
    } catch (e) {
      if (errorCode(e) !== 'EEXIST') throw e;
    }
  }
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch (e) {
    if (errorCode(e) === 'ENOENT') return;
    throw e;
  }
  if ((mode & GROUP_OR_OTHER) === 0) return;
  chmodSync(path, PRIVATE_FILE);
  warn(`${path} was readable by other users (mode ${octal(mode)}); set it to 0600`, path);
}

// SQLite creates its journal, WAL and shared-memory files with the mode of the database file
// (os_unix.c findCreateFileMode, and an explicit fchmod past the umask), also each time it
// re-creates them; those left from a looser past are tightened here.
const SQLITE_SIDE_FILES = ['-wal', '-shm', '-journal'];

/** securePrivateSqliteFiles is used before SQLite opens `path`: it and its side files end up 0600. */
export function securePrivateSqliteFiles(path: string, warn: PermissionWarning): void {
  ensurePrivateFile(path, warn, true);
  for (const suffix of SQLITE_SIDE_FILES) ensurePrivateFile(`${path}${suffix}`, warn, false);
}
