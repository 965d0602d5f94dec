// Test cluster: a real server plus real agents (simulated GPUs, real Docker containers).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, startAgent, validateSettings, type RunningAgent } from '@utopia/agent';
import type { Logger } from 'pino';
import type { Clock } from '../db/time.js';
import { startTestServer, type TestDb, type TestServer } from './harness.js';

/** TEST_IMAGE is the local image the test suite builds (scripts/services/test-image.sh). */
export const TEST_IMAGE = 'utopia-test/busybox:latest';

/** FAST_CONTROLLER is used by end-to-end tests: short periods, so faults show within seconds. */
export const FAST_CONTROLLER: Record<string, string> = {
  UTOPIA_NODE_POLL_INTERVAL_MS: '150',
  UTOPIA_NODE_GRACE_MS: '3000',
  UTOPIA_RUNNING_CHECK_MS: '300',
  UTOPIA_RESTART_BACKOFF_MS: '100',
  UTOPIA_AGENT_TIMEOUT_MS: '2000',
  UTOPIA_RESYNC_INTERVAL_MS: '2000',
};

/**
 * AGENT_MODES is used by e2e suites that run once per way the server reaches agents: their
 * direct address, and the frp tunnel (a random port range, so parallel suites do not collide).
 */
export const AGENT_MODES: readonly (readonly [string, Record<string, string>])[] = [
  ['direct', {}],
  [
    'frp',
    {
      UTOPIA_FRP_MODE: 'supervised',
      UTOPIA_FRP_BIND_PORT: '0',
      UTOPIA_FRP_ALLOW_PORTS: (() => {
        const base = 21000 + Math.floor(Math.random() * 80) * 100;
        return `${base}-${base + 99}`;
      })(),
    },
  ],
];

/** TestNode is used to start, stop and restart one agent of the test cluster. */
export interface TestNode {
  name: string;
  dataDir: string;
  agent: RunningAgent | undefined;
  start(): Promise<RunningAgent>;
  stop(): Promise<void>;
}

/** NodeOptions is used to start one test agent with its own Docker socket or settings. */
export interface NodeOptions {
  dockerSocket?: string;
  /** Raw agent settings, e.g. { allowedHostPaths: '/data', capacityMemoryMiB: '4096' }. */
  settings?: Record<string, string>;
}

/** TestCluster is used by end-to-end tests. */
export interface TestCluster {
  t: TestServer;
  runLabel: string;
  nodes: TestNode[];
  addNode(name: string, gpus: number, opts?: NodeOptions): Promise<TestNode>;
  close(): Promise<void>;
}

/** dockerSocket is used to find the test Docker Engine (DOCKER_HOST=unix://…). */
export function dockerSocket(): string {
  const host = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
  if (!host.startsWith('unix://'))
    throw new Error(`DOCKER_HOST must be a unix socket, got ${host}`);
  return host.slice('unix://'.length);
}

/** TestAgentOptions is used to start one agent (simulated GPUs, real Docker) for a test run. */
export interface TestAgentOptions {
  serverUrl: string;
  joinToken: string;
  /** Labels every container, so the run's containers can be found and removed. */
  runLabel: string;
  name: string;
  dataDir: string;
  gpus: number;
  opts?: NodeOptions;
  logger?: Logger;
}

/** startTestAgent is used to start an agent in this process that registers with the server. */
export async function startTestAgent(a: TestAgentOptions): Promise<RunningAgent> {
  const config = validateSettings(
    {
      serverUrl: a.serverUrl,
      joinToken: a.joinToken,
      dataDir: a.dataDir,
      listen: '127.0.0.1:0',
      simulateGpus: String(a.gpus),
      containerNetwork: 'none',
      registerRetryBaseMs: '20',
      logLevel: 'silent',
      dockerSocket: a.opts?.dockerSocket ?? dockerSocket(),
      ...a.opts?.settings,
    },
    a.dataDir,
  );
  return startAgent(config, {
    logger: a.logger?.child({ node: a.name }) ?? silentLogger(),
    hostname: a.name,
    machineId: `${a.runLabel}-${a.name}`,
    extraLabels: { 'utopia.test-run': a.runLabel },
  });
}

/** startCluster is used to start a server and agents that registered with one join token. */
export async function startCluster(
  db: TestDb,
  nodeGpus: readonly number[],
  overrides: Record<string, string> = {},
  clock?: Clock,
  logs: { server?: Logger; agents?: Logger } = {},
): Promise<TestCluster> {
  const t = await startTestServer(
    db,
    { ...FAST_CONTROLLER, ...overrides },
    clock,
    logs.server ?? false,
  );
  const admin = await t.adminToken();
  const jt = await t.api('POST', '/api/join-tokens', {
    token: admin,
    body: { description: 'tests', maxUses: 1000 },
  });
  const joinToken = String(jt.json.token);
  const runLabel = `run-${randomBytes(5).toString('hex')}`;
  const nodes: TestNode[] = [];
  const root = mkdtempSync(join(tmpdir(), 'utopia-cluster-'));

  const addNode = async (name: string, gpus: number, opts: NodeOptions = {}): Promise<TestNode> => {
    const dataDir = join(root, name);
    const node: TestNode = {
      name,
      dataDir,
      agent: undefined,
      async start() {
        node.agent = await startTestAgent({
          serverUrl: t.url,
          joinToken,
          runLabel,
          name,
          dataDir,
          gpus,
          opts,
          ...(logs.agents ? { logger: logs.agents } : {}),
        });
        return node.agent;
      },
      async stop() {
        await node.agent?.close();
        node.agent = undefined;
      },
    };
    await node.start();
    nodes.push(node);
    return node;
  };

  // The temp dir goes whatever else fails (an agent that did not start, Docker not answering).
  const close = async (): Promise<void> => {
    try {
      for (const n of nodes) await n.stop();
      await t.close();
      await removeRunContainers(runLabel);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  };
  try {
    for (const [i, gpus] of nodeGpus.entries()) await addNode(`node-${i}`, gpus);
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
  return { t, runLabel, nodes, addNode, close };
}

/** runContainers is used to see what Docker really runs for a test run. */
export async function runContainers(
  runLabel: string,
): Promise<{ Id: string; State: string; Labels: Record<string, string> }[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`utopia.test-run=${runLabel}`] }));
  const res = await dockerApi('GET', `/containers/json?all=1&filters=${filters}`);
  return JSON.parse(res) as { Id: string; State: string; Labels: Record<string, string> }[];
}

/** inspectContainer is used to read a container's env as Docker has it. */
export async function containerEnv(id: string): Promise<string[]> {
  const info = JSON.parse(await dockerApi('GET', `/containers/${id}/json`)) as {
    Config: { Env: string[] };
  };
  return info.Config.Env;
}

/** ContainerHostConfig is used to read back the limits Docker applied to a container. */
export interface ContainerHostConfig {
  Memory: number;
  MemorySwap: number;
  NanoCpus: number;
  ShmSize: number;
}

/** containerHostConfig is used to read a container's limits as Docker has them. */
export async function containerHostConfig(id: string): Promise<ContainerHostConfig> {
  const info = JSON.parse(await dockerApi('GET', `/containers/${id}/json`)) as {
    HostConfig: ContainerHostConfig;
  };
  return info.HostConfig;
}

/** dockerVolumeNames is used to see which Docker volumes exist (names containing `part`). */
export async function dockerVolumeNames(part: string): Promise<string[]> {
  const list = JSON.parse(await dockerApi('GET', '/volumes')) as {
    Volumes: { Name: string }[] | null;
  };
  return (list.Volumes ?? []).map((v) => v.Name).filter((n) => n.includes(part));
}

/** removeDockerVolumes is used by tests to clean up the volumes their claims made. */
export async function removeDockerVolumes(part: string): Promise<void> {
  for (const name of await dockerVolumeNames(part))
    await dockerApi('DELETE', `/volumes/${encodeURIComponent(name)}?force=1`).catch(() => '');
}

/** killContainer is used to simulate a crash of a claim's process. */
export async function killContainer(id: string): Promise<void> {
  await dockerApi('POST', `/containers/${id}/kill`);
}

/** removeRunContainers is used after a test run: every container it labelled goes. */
export async function removeRunContainers(runLabel: string): Promise<void> {
  for (const c of await runContainers(runLabel))
    await dockerApi('DELETE', `/containers/${c.Id}?force=1`).catch(() => '');
}

async function dockerApi(method: string, path: string): Promise<string> {
  const { request } = await import('node:http');
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: dockerSocket(), path, method }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        (res.statusCode ?? 500) < 400
          ? resolve(body)
          : reject(new Error(`docker ${method} ${path}: ${res.statusCode} ${body}`)),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** waitFor is used to poll until a condition holds, with a deadline (no fixed sleeps). */
export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
