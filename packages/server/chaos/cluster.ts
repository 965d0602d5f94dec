// The chaos cluster: MariaDB, Docker, two server replicas behind a load balancer, an external
// frps, and agents with simulated GPUs that reach the servers only through frp tunnels. Every
// process is the runner's own (see processes.ts, services.ts); close() ends them all.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findFreePort } from '@utopia/frp';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { createPool, type Pool } from 'mysql2/promise';
import { buildFrpsConfig, FRP_PLUGIN_PATH } from '../src/tunnel/frps-config.js';
import { createApi, type ChaosApi } from './api.js';
import { startLoadBalancer, type LoadBalancer } from './load-balancer.js';
import { createProcess, type ExitListener, type ManagedProcess } from './processes.js';
import {
  ownPid,
  startDocker,
  startMariaDb,
  type DockerEngine,
  type ServiceHandle,
} from './services.js';

const execFileAsync = promisify(execFile);

/** CHAOS_TIMINGS is used for the servers' settings: short, so faults show within seconds. */
export const CHAOS_TIMINGS = {
  leaseMs: 3_000,
  nodeGraceMs: 5_000,
  nodePollMs: 500,
  resyncMs: 2_000,
} as const;

const ADMIN_PASSWORD = 'chaos-admin-password';
const GPUS_PER_NODE = 4;

/** ChaosCluster is used by the runner to reach and hurt every part of the cluster. */
export interface ChaosCluster {
  readonly dir: string;
  readonly runLabel: string;
  readonly api: ChaosApi;
  readonly db: Pool;
  readonly docker: DockerEngine;
  readonly mariadb: ServiceHandle;
  readonly servers: readonly ManagedProcess[];
  readonly frps: ManagedProcess;
  readonly agents: readonly ManagedProcess[];
  readonly gpusPerNode: number;
  /** frpcPid is used to find the frpc an agent supervises (from its pid file), if it runs. */
  frpcPid(agent: number): number | undefined;
  /** leader is used to find the replica the lease row names while its term lasts, if any. */
  leader(): Promise<ManagedProcess | undefined>;
  close(): Promise<void>;
}

async function waitUntil(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`chaos: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** frpcPidOf is used to read the pid file an agent keeps for its frpc (only if it is still ours). */
function frpcPidOf(agentDir: string): number | undefined {
  return agentDir ? ownPid(join(agentDir, 'frpc', 'frpc.pid'), agentDir) : undefined;
}

const LeaseRowSchema = Type.Object({ holder: Type.String(), expires_at: Type.String() });

/** leaderOf is used to match the lease row's holder (`host-pid-random`) to a replica's pid. */
async function leaderOf(
  db: Pool,
  servers: readonly ManagedProcess[],
): Promise<ManagedProcess | undefined> {
  const [rows] = await db.query("SELECT holder, expires_at FROM leases WHERE name = 'controller'");
  const row: unknown = Array.isArray(rows) ? rows[0] : undefined;
  if (!Value.Check(LeaseRowSchema, row) || !(Date.parse(row.expires_at) > Date.now()))
    return undefined;
  return servers.find((s) => {
    const pid = s.pid();
    return pid !== undefined && row.holder.includes(`-${pid}-`);
  });
}

async function readSetting(db: Pool, name: string): Promise<string> {
  const [rows] = await db.query('SELECT value FROM settings WHERE name = ?', [name]);
  const first: unknown = Array.isArray(rows) ? rows[0] : undefined;
  if (typeof first === 'object' && first !== null && 'value' in first) {
    if (typeof first.value === 'string') return first.value;
  }
  throw new Error(`chaos: no ${name} in the settings table`);
}

/** startChaosCluster is used to start the whole cluster in dir; it throws if any part fails. */
export async function startChaosCluster(
  root: string,
  dir: string,
  agentCount: number,
  onUnexpectedExit: ExitListener,
): Promise<ChaosCluster> {
  const logDir = join(dir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const runLabel = `chaos-${randomBytes(4).toString('hex')}`;
  const docker = await startDocker(root, join(dir, 'docker'));
  const maria = await startMariaDb(root, join(dir, 'mariadb'));
  const dbUrl = new URL(maria.url);
  dbUrl.pathname = '/utopia_chaos';
  const { stdout } = await execFileAsync('bash', [join(root, 'scripts', 'build-frp.sh')], {
    timeout: 15 * 60_000,
  });
  const frpDir = stdout.trim().split('\n').pop() ?? '';

  const frpToken = randomBytes(24).toString('hex');
  const frpsAdminPassword = randomBytes(24).toString('hex');
  const frpsBindPort = await findFreePort();
  const frpsAdminPort = await findFreePort();
  const allowBase = 23000 + Math.floor(Math.random() * 80) * 100;
  const serverPorts = [await findFreePort(), await findFreePort()];
  const lb: LoadBalancer = await startLoadBalancer(() => serverPorts);
  const serverUrl = `http://127.0.0.1:${lb.port}`;

  const servers = serverPorts.map((port, i) =>
    createProcess(
      {
        name: `server-${i}`,
        command: process.execPath,
        args: [join(root, 'packages', 'server', 'dist', 'main.js')],
        env: {
          ...process.env,
          UTOPIA_HOST: '127.0.0.1',
          UTOPIA_PORT: String(port),
          UTOPIA_DATA_DIR: join(dir, `server-${i}`),
          UTOPIA_DATABASE_URL: dbUrl.toString(),
          UTOPIA_ADMIN_PASSWORD: ADMIN_PASSWORD,
          UTOPIA_LOG_LEVEL: 'info',
          UTOPIA_LEASE_DURATION_MS: String(CHAOS_TIMINGS.leaseMs),
          UTOPIA_NODE_GRACE_MS: String(CHAOS_TIMINGS.nodeGraceMs),
          UTOPIA_NODE_POLL_INTERVAL_MS: String(CHAOS_TIMINGS.nodePollMs),
          UTOPIA_RESYNC_INTERVAL_MS: String(CHAOS_TIMINGS.resyncMs),
          UTOPIA_RUNNING_CHECK_MS: '500',
          UTOPIA_RESTART_BACKOFF_MS: '200',
          UTOPIA_AGENT_TIMEOUT_MS: '3000',
          UTOPIA_FRP_MODE: 'external',
          UTOPIA_FRPS_ADMIN_URL: `http://127.0.0.1:${frpsAdminPort}`,
          UTOPIA_FRPS_ADMIN_PASSWORD: frpsAdminPassword,
          UTOPIA_FRP_TOKEN: frpToken,
          UTOPIA_FRP_BIND_PORT: String(frpsBindPort),
          UTOPIA_FRP_ALLOW_PORTS: `${allowBase}-${allowBase + 99}`,
        },
      },
      logDir,
      onUnexpectedExit,
    ),
  );
  const ready = (port: number) => async () =>
    (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) })).ok;
  // One replica first: it creates the schema and the secrets the second one then reads.
  for (const [i, s] of servers.entries()) {
    s.start();
    await waitUntil(`${s.name} to be ready`, ready(serverPorts[i] ?? 0), 60_000);
  }
  const db = createPool({ uri: dbUrl.toString(), connectionLimit: 4, connectTimeout: 3_000 });
  const pluginKey = await readSetting(db, 'frp_plugin_key');
  const frpsConfig = join(dir, 'frps.toml');
  writeFileSync(
    frpsConfig,
    buildFrpsConfig({
      bindAddr: '127.0.0.1',
      bindPort: frpsBindPort,
      authToken: frpToken,
      allowPorts: { start: allowBase, end: allowBase + 99 },
      webServer: { port: frpsAdminPort, user: 'admin', password: frpsAdminPassword },
      // The plugin goes through the load balancer too, so any live replica answers it.
      pluginPort: lb.port,
      pluginPath: `${FRP_PLUGIN_PATH}/${pluginKey}`,
    }),
    { mode: 0o600 },
  );
  const frps = createProcess(
    { name: 'frps', command: join(frpDir, 'frps'), args: ['-c', frpsConfig] },
    logDir,
    onUnexpectedExit,
  );
  frps.start();

  const api = await createApi(serverUrl, 'admin', ADMIN_PASSWORD);
  const joinToken = await api.createJoinToken();
  const agentDirs = Array.from({ length: agentCount }, (_, i) => join(dir, `agent-${i}`));
  const agents = agentDirs.map((dataDir, i) =>
    createProcess(
      {
        name: `node-${i}`,
        command: process.execPath,
        args: ['--import', 'tsx', join(root, 'packages', 'server', 'chaos', 'agent-process.ts')],
        cwd: root,
        env: {
          ...process.env,
          CHAOS_AGENT_NAME: `node-${i}`,
          CHAOS_RUN_LABEL: runLabel,
          CHAOS_SERVER_URL: serverUrl,
          CHAOS_JOIN_TOKEN: joinToken,
          CHAOS_DATA_DIR: dataDir,
          CHAOS_GPUS: String(GPUS_PER_NODE),
          DOCKER_SOCKET: docker.socket,
          UTOPIA_AGENT_FRPC_BIN: join(frpDir, 'frpc'),
          UTOPIA_AGENT_TUNNEL: 'frp',
        },
      },
      logDir,
      onUnexpectedExit,
    ),
  );
  for (const a of agents) a.start();
  await waitUntil(
    `${agentCount} nodes Online`,
    async () => (await api.onlineNodes()) >= agentCount,
    120_000,
  );

  return {
    dir,
    runLabel,
    api,
    db,
    docker,
    mariadb: maria.handle,
    servers,
    frps,
    agents,
    gpusPerNode: GPUS_PER_NODE,
    frpcPid: (i) => frpcPidOf(agentDirs[i] ?? ''),
    leader: () => leaderOf(db, servers),
    async close() {
      for (const a of agents) await a.stop();
      for (const s of servers) await s.stop();
      await frps.stop();
      await lb.close();
      await db.end().catch(() => undefined);
      await maria.handle.stop();
    },
  };
}
