import { readFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { GpuInventory } from '@utopia/shared';
import { buildAgentApp } from './api/agent-app.js';
import { advertiseUrlFor, type AgentConfig } from './config/agent-config.js';
import { createGpuBackend } from './gpu/create-gpu-backend.js';
import type { GpuBackend } from './gpu/gpu-backend.js';
import { GpuMonitor } from './gpu/gpu-monitor.js';
import { createLogger, type AgentLogger } from './logger.js';
import { SystemMetricsSampler } from './metrics/system-metrics.js';
import type { AgentIdentity } from './registration/identity-store.js';
import { ensureRegistered, UnknownNodeError } from './registration/registration.client.js';
import type { ContainerRuntime } from './runtime/container-runtime.js';
import { ContainerService } from './runtime/container.service.js';
import { createDockerClient, DockerRuntime } from './runtime/docker.runtime.js';
import { PreviousLogStore } from './runtime/previous-logs.js';
import { AGENT_VERSION } from './version.js';
import { openTunnel, wantsTunnel } from './tunnel/agent-tunnel.js';
import type { FrpcSupervisor } from './tunnel/frpc-supervisor.js';

/** AgentDeps is used by tests (and embedders) to replace parts of the agent. */
export interface AgentDeps {
  logger?: AgentLogger;
  runtime?: ContainerRuntime;
  gpuBackend?: GpuBackend;
  /** Labels added to every container this agent creates (tests mark their runs). */
  extraLabels?: Record<string, string>;
  hostname?: string;
  machineId?: string;
}

/** RunningAgent is used to reach and stop an agent started in-process. */
export interface RunningAgent {
  /** Base URL of the agent API, e.g. http://127.0.0.1:41234. */
  url: string;
  nodeId: string;
  agentToken: string;
  identity: AgentIdentity;
  app: FastifyInstance;
  /** The frpc supervisor when this node reaches the server through the frp tunnel. */
  tunnel: FrpcSupervisor | undefined;
  /** close is used to stop serving; containers keep running (they are adopted next start). */
  close(): Promise<void>;
}

/**
 * startAgent is used to run the whole agent: discover GPUs, open the API (so the advertised
 * address is known, also with port 0), register or re-announce with the server, adopt containers.
 */
export async function startAgent(config: AgentConfig, deps: AgentDeps = {}): Promise<RunningAgent> {
  const logger = deps.logger ?? createLogger(config.logLevel);
  const machineId = deps.machineId ?? (await readMachineId());
  const host = deps.hostname ?? osHostname();
  const backend =
    deps.gpuBackend ?? (await createGpuBackend({ ...config, seed: machineId || host }));
  const gpus = new GpuMonitor(backend);
  await gpus.start();
  logger.info(
    { backend: backend.kind, condition: backend.condition, gpus: gpus.current().length },
    'GPUs discovered',
  );

  let identity: AgentIdentity | undefined;
  const runtime = deps.runtime ?? new DockerRuntime(createDockerClient(config.dockerSocket));
  const containers = new ContainerService({
    runtime,
    gpus: backend,
    networkMode: config.containerNetwork,
    nodeId: () => identity?.nodeId ?? '',
    logger,
    previousLogs: new PreviousLogStore(join(config.dataDir, 'previous-logs')),
    ...(deps.extraLabels ? { extraLabels: deps.extraLabels } : {}),
  });
  const system = new SystemMetricsSampler(config.dataDir);
  await system.start();
  const app = await buildAgentApp({
    agentToken: () => identity?.agentToken,
    nodeId: () => identity?.nodeId ?? '',
    version: AGENT_VERSION,
    gpus,
    system,
    containers,
    logger,
  });
  let tunnel: FrpcSupervisor | undefined;
  const stopAll = async (): Promise<void> => {
    await tunnel?.stop();
    gpus.stop();
    system.stop();
    await app.close();
  };

  const abort = new AbortController();
  try {
    await app.listen({ host: config.listenHost, port: config.listenPort });
    const port = (app.server.address() as AddressInfo).port;
    const url = advertiseUrlFor(config.listenHost, port);
    const registration = {
      serverUrl: config.serverUrl,
      joinToken: config.joinToken,
      identityFile: config.identityFile,
      hostname: host,
      machineId,
      agentVersion: AGENT_VERSION,
      address: config.advertiseAddress ?? url,
      gpus: gpus.current().map(toInventory),
      retryBaseMs: config.registerRetryBaseMs,
      logger,
      signal: abort.signal,
    };
    const result = await ensureRegistered(registration);
    identity = result.identity;
    if (wantsTunnel(config, result.tunnel) && result.tunnel) {
      tunnel = await openTunnel(config, identity, result.tunnel, port, logger);
      // Through the tunnel only: the server must not dial a direct address it might reach.
      await ensureRegistered({ ...registration, address: '' });
    }
    await adoptContainers(runtime, containers, logger);
    logger.info({ nodeId: identity.nodeId, url }, 'agent ready');
    const ready = identity;
    return {
      url,
      nodeId: ready.nodeId,
      agentToken: ready.agentToken,
      identity: ready,
      app,
      tunnel,
      close: async () => {
        abort.abort();
        await stopAll();
      },
    };
  } catch (err) {
    if (err instanceof UnknownNodeError && err.forgotten) {
      await stopForgottenContainers(containers, err.nodeId, logger);
    }
    await stopAll();
    throw err;
  }
}

/**
 * stopForgottenContainers is used when the server says it no longer knows this node: the server
 * has handed the node's claims and GPUs out again, so every container of the node must stop, or
 * a claim runs twice. The agent then stops too; it never registers again on its own.
 */
async function stopForgottenContainers(
  containers: ContainerService,
  nodeId: string,
  logger: AgentLogger,
): Promise<void> {
  try {
    const removed = await containers.removeAllOf(nodeId);
    logger.error(
      { nodeId, containers: removed },
      `THE SERVER NO LONGER KNOWS NODE ${nodeId}: removed its ${removed.length} container(s) so that no claim runs twice; not registering again`,
    );
  } catch (err) {
    logger.error(
      { err, nodeId },
      `THE SERVER NO LONGER KNOWS NODE ${nodeId}, and its containers could not be removed: remove the containers labelled utopia.node_id=${nodeId} by hand`,
    );
  }
}

async function adoptContainers(
  runtime: ContainerRuntime,
  containers: ContainerService,
  logger: AgentLogger,
): Promise<void> {
  try {
    await runtime.ping();
    await containers.adopt();
  } catch (err) {
    // The agent still serves: container calls answer 503 DOCKER_UNAVAILABLE until Docker is back.
    logger.warn(
      { err },
      'Docker Engine not reachable at start; containers will be adopted on first use',
    );
  }
}

function toInventory(g: {
  index: number;
  uuid: string;
  model: string;
  memoryTotalMiB: number;
}): GpuInventory {
  return { index: g.index, uuid: g.uuid, model: g.model, memoryTotalMiB: g.memoryTotalMiB };
}

async function readMachineId(): Promise<string> {
  try {
    return (await readFile('/etc/machine-id', 'utf8')).trim();
  } catch {
    return '';
  }
}
