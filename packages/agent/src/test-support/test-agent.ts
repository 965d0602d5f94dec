// Starts a real agent in-process against a FakeServer; tests only.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '../agent.js';
import type { RawSettings } from '@utopia/shared/config';
import { validateSettings } from '../config/agent-config.js';
import type { AgentSettingKey } from '../config/agent-settings.js';
import type { GpuBackend } from '../gpu/gpu-backend.js';
import { silentLogger } from '../logger.js';
import { createDockerClient, DockerRuntime } from '../runtime/docker.runtime.js';

/** TestAgentOptions is used to describe the agent a test wants. */
export interface TestAgentOptions {
  serverUrl: string;
  socketPath?: string;
  simulateGpus?: number;
  /** Reuse a data directory to restart "the same node". */
  dataDir?: string;
  runLabel?: Record<string, string>;
  joinToken?: string;
  /** Replace the GPU backend (e.g. a fake "real GPU" one that requests devices). */
  gpuBackend?: GpuBackend;
  /** Machine id (seed of the simulated GPU UUIDs); default: one per data directory. */
  machineId?: string;
  /** Deadline of one Docker Engine call (default: the agent's own). */
  dockerCallTimeoutMs?: number;
  /** More agent settings, as a config file would give them (e.g. allowedHostPaths, gpuInjection). */
  settings?: RawSettings<AgentSettingKey>;
}

/** ApiResponse is used to hand a test the status, body and headers of one call. */
export interface ApiResponse {
  status: number;
  json: unknown;
  text: string;
  headers: Headers;
}

/** TestAgent is used to call a started agent. */
export interface TestAgent {
  agent: RunningAgent;
  dataDir: string;
  call(
    method: string,
    path: string,
    opts?: { body?: unknown; token?: string | null },
  ): Promise<ApiResponse>;
}

// A data directory outlives its agent (a restart reuses it for "the same node"), so the ones made
// here go when the test process ends.
const madeDataDirs: string[] = [];
process.once('exit', () => {
  for (const dir of madeDataDirs) rmSync(dir, { recursive: true, force: true });
});

function newDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'utopia-agent-'));
  madeDataDirs.push(dir);
  return dir;
}

/** startTestAgent is used to run an agent with simulated GPUs on a free loopback port. */
export async function startTestAgent(opts: TestAgentOptions): Promise<TestAgent> {
  const dataDir = opts.dataDir ?? newDataDir();
  const config = validateSettings(
    {
      serverUrl: opts.serverUrl,
      joinToken: opts.joinToken ?? 'join-ok',
      dataDir,
      listen: '127.0.0.1:0',
      simulateGpus: String(opts.simulateGpus ?? 4),
      containerNetwork: 'none',
      registerRetryBaseMs: '5',
      logLevel: 'silent',
      ...(opts.socketPath ? { dockerSocket: opts.socketPath } : {}),
      ...opts.settings,
    },
    dataDir,
  );
  const agent = await startAgent(config, {
    logger: silentLogger(),
    machineId: opts.machineId ?? `test-${dataDir}`,
    ...(opts.runLabel ? { extraLabels: opts.runLabel } : {}),
    ...(opts.gpuBackend ? { gpuBackend: opts.gpuBackend } : {}),
    ...(opts.dockerCallTimeoutMs === undefined
      ? {}
      : {
          runtime: new DockerRuntime(createDockerClient(opts.socketPath), {
            callTimeoutMs: opts.dockerCallTimeoutMs,
          }),
        }),
  });
  const call: TestAgent['call'] = async (method, path, callOpts = {}) => {
    const headers: Record<string, string> = {};
    const token = callOpts.token === undefined ? agent.agentToken : callOpts.token;
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (callOpts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${agent.url}${path}`, {
      method,
      headers,
      ...(callOpts.body !== undefined ? { body: JSON.stringify(callOpts.body) } : {}),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, json, text, headers: res.headers };
  };
  return { agent, dataDir, call };
}
