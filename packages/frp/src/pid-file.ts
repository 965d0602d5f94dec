// A crashed (SIGKILLed) agent or server leaves its frpc/frps running: children are not killed
// with their parent, and the orphan keeps the ports, so every new start would fail. The
// supervisor records each child's pid and, on the next start, ends a leftover that is provably
// ours: same argv in /proc/<pid>/cmdline (Linux). Anything else is left alone.
import { readFile, rm, writeFile } from 'node:fs/promises';

/** writePidFile is used to remember the pid of a freshly spawned child. */
export async function writePidFile(path: string, pid: number): Promise<void> {
  await writeFile(path, `${pid}\n`, { mode: 0o600 });
}

/** removePidFile is used once the child has exited; a missing file is fine. */
export async function removePidFile(path: string): Promise<void> {
  await rm(path, { force: true });
}

async function commandLine(pid: number): Promise<string[] | undefined> {
  const raw = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  return raw === undefined || raw === '' ? undefined : raw.replace(/\0$/, '').split('\0');
}

function isSameCommand(argv: readonly string[], command: string, args: readonly string[]): boolean {
  // argv[0] may be a relative or resolved form of the binary; the arguments (our config path)
  // are what make the process ours.
  const [argv0, ...rest] = argv;
  const sameBinary = argv0 !== undefined && argv0.split('/').pop() === command.split('/').pop();
  return sameBinary && rest.length === args.length && rest.every((a, i) => a === args[i]);
}

/**
 * reapStaleProcess is used before a start: if the pid file names a live process running exactly
 * `command args`, it gets SIGTERM, then SIGKILL after `timeoutMs`. Returns the pid it ended.
 */
export async function reapStaleProcess(
  pidFile: string,
  command: string,
  args: readonly string[],
  timeoutMs = 3_000,
): Promise<number | undefined> {
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number.parseInt(text.trim(), 10);
  await removePidFile(pidFile);
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return undefined;
  const argv = await commandLine(pid);
  if (!argv || !isSameCommand(argv, command, args)) return undefined;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + timeoutMs;
  while ((await commandLine(pid)) !== undefined) {
    if (Date.now() > deadline) {
      signal(pid, 'SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return pid;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone: nothing left to end.
  }
}
