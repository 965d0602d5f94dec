// The services under the chaos cluster that come from scripts/services/: MariaDB (always our own,
// in the run's temp dir) and the Docker Engine (DOCKER_HOST when it answers, else our own).
import { execFile } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** ServiceHandle is used for a service started by a script that leaves a pid file behind. */
export interface ServiceHandle {
  readonly name: string;
  /** Its pid, only while the process in the pid file is alive and runs from our directory. */
  pid(): number | undefined;
  isRunning(): boolean;
  start(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** ownPid is used to read a pid file and make sure that pid still runs from our directory. */
export function ownPid(pidFile: string, dir: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 1) return undefined;
  try {
    // A recycled pid runs something else: only a command line naming our dir is ours.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return undefined;
    return cmdline.includes(dir) ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function killAndWait(pid: number | undefined): Promise<void> {
  if (pid === undefined) return;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 200 && existsSync(`/proc/${pid}`); i++) await sleep(50);
}

/** scriptService is used to wrap scripts/services/<name>.sh start|stop DIR. */
function scriptService(
  root: string,
  name: string,
  dir: string,
  pidFile: string,
  env: NodeJS.ProcessEnv,
): ServiceHandle & { startOutput(): Promise<string> } {
  const script = join(root, 'scripts', 'services', `${name}.sh`);
  const run = async (cmd: 'start' | 'stop'): Promise<string> =>
    (await execFileAsync('bash', [script, cmd, dir], { env, timeout: 180_000 })).stdout;
  const handle = {
    name,
    pid: () => ownPid(pidFile, dir),
    isRunning: () => ownPid(pidFile, dir) !== undefined,
    startOutput: () => run('start'),
    async start() {
      await run('start');
    },
    async kill9() {
      await killAndWait(ownPid(pidFile, dir));
    },
    async stop() {
      if (handle.isRunning()) await run('stop').catch(() => '');
    },
  };
  return handle;
}

/** MariaDb is used to reach the run's own MariaDB: its handle and its URL. */
export interface MariaDb {
  handle: ServiceHandle;
  url: string;
}

/** startMariaDb is used to start a throw-away MariaDB in dir (same port on every restart). */
export async function startMariaDb(root: string, dir: string): Promise<MariaDb> {
  const svc = scriptService(root, 'mariadb', dir, join(dir, 'mysqld.pid'), process.env);
  const line = (await svc.startOutput()).trim().split('\n').pop() ?? '';
  const prefix = 'UTOPIA_TEST_MYSQL_URL=';
  if (!line.startsWith(prefix)) throw new Error(`mariadb.sh start printed ${line}`);
  return { handle: svc, url: line.slice(prefix.length) };
}

/** DockerEngine is used to reach Docker: its socket, and a handle only when we started it. */
export interface DockerEngine {
  socket: string;
  own: ServiceHandle | undefined;
}

async function dockerAnswers(host: string): Promise<boolean> {
  try {
    await execFileAsync('docker', ['info'], {
      env: { ...process.env, DOCKER_HOST: host },
      timeout: 20_000,
    });
    return true;
  } catch {
    return false;
  }
}

function isMountPoint(path: string): boolean {
  // Field 5 of /proc/self/mountinfo is the mount point.
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === path);
}

/**
 * withLeftoverMountsRemoved is used for our own dockerd: it bind-mounts its data root on itself
 * at start and unmounts it when it stops, so each kill -9 leaves one mount behind (not removable
 * then: the containers' overlay mounts sit under it), and the run's temp dir could not be removed
 * at the end (EBUSY). Once the last dockerd has stopped, the leftovers go.
 */
function withLeftoverMountsRemoved(svc: ServiceHandle, dataRoot: string): ServiceHandle {
  return {
    ...svc,
    async stop() {
      await svc.stop();
      for (let i = 0; i < 10 && isMountPoint(dataRoot); i++)
        await execFileAsync('umount', [dataRoot]).catch(() => undefined);
    },
  };
}

/** startDocker is used to reuse DOCKER_HOST when it answers, or start a private dockerd in dir. */
export async function startDocker(root: string, dir: string): Promise<DockerEngine> {
  const given = process.env.DOCKER_HOST;
  let own: ServiceHandle | undefined;
  let host = given;
  if (!given || !given.startsWith('unix://') || !(await dockerAnswers(given))) {
    const env = { ...process.env };
    delete env.DOCKER_HOST;
    const svc = scriptService(root, 'dockerd', dir, join(dir, 'dockerd.pid'), env);
    const line = (await svc.startOutput()).trim().split('\n').pop() ?? '';
    if (!line.startsWith('DOCKER_HOST=unix://'))
      throw new Error(`dockerd.sh start printed ${line}`);
    host = line.slice('DOCKER_HOST='.length);
    // dockerd.sh reuses /var/run/docker.sock when it answers: then the engine is not ours.
    if (svc.isRunning()) own = withLeftoverMountsRemoved(svc, join(dir, 'docker'));
  }
  const socket = (host ?? '').slice('unix://'.length);
  await execFileAsync('bash', [join(root, 'scripts', 'services', 'test-image.sh')], {
    env: { ...process.env, DOCKER_HOST: `unix://${socket}` },
    timeout: 180_000,
  });
  return { socket, own };
}
