import type { Readable } from 'node:stream';
import type { AgentContainerInfo, AgentCreateContainerRequest } from '@utopia/shared';
import { agentErrors, AgentError } from '../agent-error.js';
import type { GpuBackend, GpuDevice } from '../gpu/gpu-backend.js';
import { hostDevicesOf } from '../gpu/gpu-container-config.js';
import { legacyGpuInjector, type GpuInjector } from '../gpu/gpu-injection.js';
import type { AgentLogger } from '../logger.js';
import { containerLimits, prepareMounts } from './claim-mounts.js';
import {
  isRuntimeError,
  type ContainerCreateSpec,
  type ContainerDetails,
  type ContainerMount,
  type ContainerRuntime,
  type ExecOptions,
  type ExecSession,
} from './container-runtime.js';
import { describeIndices, Labels, parseGpuLabel, pullingInfo, toInfo } from './container-info.js';
import { heldGpus } from './gpu-holders.js';
import type { AllowedHostPath } from './host-paths.js';
import { KeyedMutex } from './keyed-mutex.js';
import { openPortBridge, type PortBridge } from './port-bridge.js';
import { PREVIOUS_LOG_TAIL_LINES, type PreviousLogStore } from './previous-logs.js';

// Environment a user may not set: the agent alone decides which GPUs a container sees. The
// NVIDIA runtime reads NVIDIA_VISIBLE_DEVICES; CUDA reads CUDA_VISIBLE_DEVICES, and left unset
// it enumerates exactly the devices the runtime gave the container.
const RESERVED_ENV = new Set([
  'NVIDIA_VISIBLE_DEVICES',
  'CUDA_VISIBLE_DEVICES',
  'UTOPIA_GPU_IDS',
  'UTOPIA_CLAIM_ID',
]);
// States in which a container holds its GPUs.
const LIVE_STATES = new Set(['created', 'running', 'paused', 'restarting']);
const GPU_LOCK = '\0gpus';
// Longer than the server's longest restart backoff (5 min): see PreviousLogStore.prune.
const PREVIOUS_LOG_GRACE_MS = 15 * 60_000;
const PRUNE_EVERY_MS = 60_000;

/** ContainerServiceOptions is used to set up the claim-container service. */
export interface ContainerServiceOptions {
  runtime: ContainerRuntime;
  gpus: GpuBackend;
  /** How containers get their GPUs; default: DeviceRequests for real GPUs, env for simulated. */
  injector?: GpuInjector;
  networkMode: string;
  nodeId: () => string;
  logger: AgentLogger;
  /** Extra labels on every container (tests mark their runs with one). */
  extraLabels?: Record<string, string>;
  /** Host paths claims may mount (agent setting allowedHostPaths); none when absent. */
  allowedHostPaths?: readonly AllowedHostPath[];
  /** Where a restarted claim's previous log is kept; without it `previous` finds nothing. */
  previousLogs?: PreviousLogStore;
}

/** LogQuery is used to choose which of a claim container's output to read. */
export interface LogQuery {
  tail: number | undefined;
  follow: boolean;
  since: number | undefined;
  timestamps: boolean;
  /** The run before the last restart, from the saved tail. */
  previous: boolean;
}

/** CreateResult is used to tell the route whether the container is new (201) or was there (200). */
export interface CreateResult {
  containerId: string;
  created: boolean;
}

/**
 * ContainerService is used to run claim containers: create is idempotent per claim (serialized
 * per claim id), GPU ids are checked against this node's GPUs and against other live Utopia
 * containers under one lock, and state is always read from Docker, so nothing is cached stale.
 */
export class ContainerService {
  readonly #opts: ContainerServiceOptions;
  readonly #locks = new KeyedMutex();
  readonly #pulling = new Map<string, { image: string; since: number }>();
  #prunedAt = 0;
  // Set once the server deletes this node; the agent joins again only as a new process.
  #retired = false;
  readonly #injector: GpuInjector;

  constructor(opts: ContainerServiceOptions) {
    this.#opts = opts;
    this.#injector = opts.injector ?? legacyGpuInjector(opts.gpus);
  }

  /** adopt is used at start: containers from an earlier run are found by label and kept. */
  async adopt(): Promise<AgentContainerInfo[]> {
    const found = (await this.#mine()).map(toInfo);
    if (found.length > 0) {
      this.#opts.logger.info(
        { claims: found.map((c) => c.claim_id) },
        `adopted ${found.length} container(s)`,
      );
    }
    return found;
  }

  async create(req: AgentCreateContainerRequest): Promise<CreateResult> {
    return this.#locks.run(req.claim_id, async () => {
      const existing = await this.#findByClaim(req.claim_id);
      if (existing && !hasOtherGpus(existing, req)) {
        // Created but never started: the answer to an earlier start was lost (say dockerd
        // restarting), or this agent stopped in between.
        if (existing.state.status === 'created') await this.#start(existing.id);
        return { containerId: existing.id, created: false };
      }
      // The server moved this claim to other GPUs while an old container lingered here: the
      // server is the authority, so the stale container goes rather than holding the old GPUs.
      if (existing) await this.#guard(() => this.#opts.runtime.remove(existing.id));
      const devices = await this.#opts.gpus.list();
      const gpuIds = await this.#resolveGpuIds(req, devices);
      await this.#ensureImage(req.claim_id, req.image);
      const allowed = this.#opts.allowedHostPaths ?? [];
      const mounts = await this.#guard(() => prepareMounts(this.#opts.runtime, req, allowed));
      const id = await this.#locks.run(GPU_LOCK, async () => {
        if (this.#retired) throw agentErrors.nodeRetired();
        await this.#checkGpusFree(gpuIds, devices);
        return this.#createContainer(req, gpuIds, devices, mounts);
      });
      if (id.created) await this.#start(id.containerId);
      return id;
    });
  }

  async list(): Promise<AgentContainerInfo[]> {
    const containers = (await this.#mine()).map(toInfo);
    const known = new Set(containers.map((c) => c.claim_id));
    for (const [claimId, pull] of this.#pulling) {
      if (!known.has(claimId)) containers.push(pullingInfo(claimId, pull.image, pull.since));
    }
    // The server lists every few seconds: the sweep of stale saved logs rides on it.
    if (this.#opts.previousLogs && Date.now() - this.#prunedAt > PRUNE_EVERY_MS) {
      this.#prunedAt = Date.now();
      const live = new Set(containers.map((c) => c.claim_id));
      await this.#opts.previousLogs.prune(live, PREVIOUS_LOG_GRACE_MS).catch((err: unknown) => {
        this.#opts.logger.warn({ err }, 'could not prune saved logs');
      });
    }
    return containers;
  }

  /** get is used with a container id or `claim:<claimId>`; undefined when there is none. */
  async get(idOrClaim: string): Promise<AgentContainerInfo | undefined> {
    const details = await this.#resolve(idOrClaim);
    return details ? toInfo(details) : undefined;
  }

  /**
   * remove is used to delete a claim's container; gone already is fine (idempotent). With
   * keepLogs (a restart) the container's log tail is saved as the claim's previous run first;
   * without it (deletion, a move, the orphan sweep) any saved log of the claim goes too.
   */
  async remove(idOrClaim: string, opts: { keepLogs?: boolean } = {}): Promise<void> {
    const details = await this.#resolve(idOrClaim);
    const claimId = details
      ? (details.labels[Labels.ClaimId] ?? details.id)
      : idOrClaim.startsWith('claim:')
        ? idOrClaim.slice('claim:'.length)
        : undefined;
    if (!opts.keepLogs && claimId !== undefined) await this.#opts.previousLogs?.remove(claimId);
    if (!details || claimId === undefined) return;
    await this.#locks.run(claimId, async () => {
      if (opts.keepLogs) await this.#saveLogs(claimId, details.id);
      await this.#guard(() => this.#opts.runtime.remove(details.id));
    });
  }

  async #saveLogs(claimId: string, containerId: string): Promise<void> {
    const store = this.#opts.previousLogs;
    if (!store) return;
    try {
      const source = await this.#opts.runtime.logs(containerId, {
        tail: PREVIOUS_LOG_TAIL_LINES,
        follow: false,
        timestamps: true,
      });
      await store.save(claimId, source);
    } catch (err) {
      // A log that cannot be saved must not keep the restart from happening.
      this.#opts.logger.warn({ err, claimId }, 'could not save the log of the previous run');
    }
  }

  /**
   * removeAll is used when the server deletes this node: every container of this node goes, so
   * that no claim keeps running (and holding GPUs) on a node the server no longer knows. The
   * agent takes no new container afterwards.
   */
  async removeAll(): Promise<string[]> {
    // From here on no container is created: a create the server sent just before it deleted the
    // node (a restart, say) would otherwise outlive the node and hold its GPUs. A create past this
    // lock is refused; one that got it first has its container listed below and removed.
    await this.#locks.run(GPU_LOCK, () => {
      this.#retired = true;
      return Promise.resolve();
    });
    const removed = await this.#removeWhere((c) => this.#isMine(c));
    await this.#opts.previousLogs?.clear();
    return removed;
  }

  /**
   * removeAllOf is used when the server says it no longer knows identity `nodeId`: that
   * identity's containers (and unlabelled ones, which count as this node's) are removed.
   */
  async removeAllOf(nodeId: string): Promise<string[]> {
    return this.#removeWhere((c) => isOwnedBy(c, nodeId));
  }

  async #removeWhere(pick: (c: ContainerDetails) => boolean): Promise<string[]> {
    const all = await this.#guard(() => this.#opts.runtime.listManaged());
    const doomed = all.filter(pick);
    const results = await Promise.allSettled(
      doomed.map((c) =>
        this.#locks.run(c.labels[Labels.ClaimId] ?? c.id, () =>
          this.#guard(() => this.#opts.runtime.remove(c.id)),
        ),
      ),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw toAgentError(failed.reason, 'call');
    for (const c of doomed) await this.#opts.previousLogs?.remove(c.labels[Labels.ClaimId] ?? '');
    if (doomed.length > 0) {
      const claims = doomed.map((c) => c.labels[Labels.ClaimId]);
      this.#opts.logger.warn({ claims }, `removed ${doomed.length} container(s)`);
    }
    return doomed.map((c) => c.id);
  }

  /** logs is used to read a claim container's output, or with `previous` its last run's. */
  async logs(idOrClaim: string, q: LogQuery): Promise<Readable> {
    if (q.previous) return this.#previousLogs(idOrClaim, q);
    const details = await this.#resolve(idOrClaim);
    if (!details) throw agentErrors.notFound(`container ${idOrClaim}`);
    const { previous: _previous, ...opts } = q;
    return this.#guard(() => this.#opts.runtime.logs(details.id, opts));
  }

  /** exec is used to start a command in a claim's running container. */
  async exec(idOrClaim: string, opts: ExecOptions): Promise<ExecSession> {
    const details = await this.runningContainer(idOrClaim);
    return this.#guard(() => this.#opts.runtime.exec(details.id, opts));
  }

  /** runningContainer is used to find a claim's container that runs now, else a 404. */
  async runningContainer(idOrClaim: string): Promise<ContainerDetails> {
    const details = await this.#resolve(idOrClaim);
    if (!details || details.state.status !== 'running')
      throw agentErrors.notFound(`running container ${idOrClaim}`);
    return details;
  }

  async #previousLogs(idOrClaim: string, q: LogQuery): Promise<Readable> {
    const claimId = idOrClaim.startsWith('claim:')
      ? idOrClaim.slice('claim:'.length)
      : (await this.#resolve(idOrClaim))?.labels[Labels.ClaimId];
    const saved =
      claimId === undefined ? undefined : await this.#opts.previousLogs?.open(claimId, q);
    if (!saved) throw agentErrors.notFound(`previous run's log of ${idOrClaim}`);
    return saved;
  }

  /**
   * openPortForward is used to open one TCP connection to `port` inside a running container,
   * from within its network namespace (see openPortBridge).
   */
  async openPortForward(idOrClaim: string, port: number): Promise<PortBridge> {
    const details = await this.#resolve(idOrClaim);
    if (!details) throw agentErrors.notFound(`container ${idOrClaim}`);
    const pid = details.state.pid;
    if (pid === undefined) throw agentErrors.notRunning(`container ${idOrClaim}`);
    return openPortBridge(pid, port);
  }

  async #resolve(idOrClaim: string): Promise<ContainerDetails | undefined> {
    if (idOrClaim.startsWith('claim:')) return this.#findByClaim(idOrClaim.slice('claim:'.length));
    const details = await this.#guard(() => this.#opts.runtime.inspect(idOrClaim));
    // Only our own containers are visible through this API.
    return details && details.labels[Labels.Managed] === 'true' && this.#isMine(details)
      ? details
      : undefined;
  }

  async #findByClaim(claimId: string): Promise<ContainerDetails | undefined> {
    return (await this.#mine()).find((c) => c.labels[Labels.ClaimId] === claimId);
  }

  /**
   * #mine is used to keep to this node's containers: several simulated nodes may share one Docker
   * Engine, and each must see only its own containers and GPU ledger. Containers without a node
   * label (made by the original agent) count as this node's.
   */
  async #mine(): Promise<ContainerDetails[]> {
    const all = await this.#guard(() => this.#opts.runtime.listManaged());
    return all.filter((c) => this.#isMine(c));
  }

  #isMine(c: ContainerDetails): boolean {
    return isOwnedBy(c, this.#opts.nodeId());
  }

  async #resolveGpuIds(
    req: AgentCreateContainerRequest,
    devices: readonly GpuDevice[],
  ): Promise<number[]> {
    const have = new Set(devices.map((d) => d.index));
    if (req.gpu_ids !== undefined) {
      if (req.gpu_count !== undefined && req.gpu_count !== req.gpu_ids.length) {
        throw agentErrors.validation(
          `gpu_count ${req.gpu_count} does not match gpu_ids (${req.gpu_ids.length} ids)`,
        );
      }
      const missing = req.gpu_ids.filter((id) => !have.has(id));
      if (missing.length > 0) {
        throw agentErrors.gpuUnavailable(
          `this node has no GPU ${missing.join(', ')} (it has ${describeIndices([...have])}; ${this.#opts.gpus.condition})`,
        );
      }
      return [...req.gpu_ids].sort((a, b) => a - b);
    }
    const count = req.gpu_count ?? 0;
    if (count === 0) return [];
    // Without explicit ids (original protocol), take the lowest free indices; checked again below.
    const used = await this.usedGpus(devices);
    const free = [...have].filter((i) => !used.has(i)).sort((a, b) => a - b);
    if (free.length < count) {
      throw agentErrors.gpuUnavailable(
        `${count} GPU(s) asked for, ${free.length} free on this node`,
      );
    }
    return free.slice(0, count);
  }

  async #checkGpusFree(gpuIds: number[], devices: readonly GpuDevice[]): Promise<void> {
    if (gpuIds.length === 0) return;
    const used = await this.usedGpus(devices);
    const taken = gpuIds.filter((id) => used.has(id));
    if (taken.length > 0) {
      const holders = taken.map((id) => `${id} (claim ${used.get(id)})`).join(', ');
      throw agentErrors.gpuUnavailable(
        `GPU ${holders} already used by a live container on this node`,
      );
    }
  }

  /**
   * usedGpus is used to read, from labels, which claim holds each of this node's GPU indices. It
   * looks at EVERY live Utopia container on the engine, whatever node id it carries: a container
   * left by an earlier identity of this machine (the node was deleted and joined again) still
   * holds the devices. GPU UUIDs tell them apart from the GPUs of another simulated node sharing
   * the engine.
   */
  async usedGpus(devices?: readonly GpuDevice[]): Promise<Map<number, string>> {
    const gpus = devices ?? (await this.#opts.gpus.list());
    const used = new Map<number, string>();
    for (const c of await this.#guard(() => this.#opts.runtime.listManaged())) {
      if (!LIVE_STATES.has(c.state.status)) continue;
      const holder = this.#isMine(c)
        ? (c.labels[Labels.ClaimId] ?? c.id)
        : `${c.labels[Labels.ClaimId] ?? c.id} of node ${c.labels[Labels.NodeId] ?? '?'}`;
      for (const index of heldGpus(c, gpus, this.#isMine(c))) used.set(index, holder);
    }
    return used;
  }

  async #ensureImage(claimId: string, image: string): Promise<void> {
    const runtime = this.#opts.runtime;
    if (await this.#guard(() => runtime.hasImage(image))) return;
    this.#pulling.set(claimId, { image, since: Math.floor(Date.now() / 1000) });
    try {
      await runtime.pullImage(image);
    } catch (err) {
      if (isRuntimeError(err) && err.kind === 'unavailable')
        throw agentErrors.dockerUnavailable(err.message);
      // An Engine that went away during the pull says nothing about the image.
      await this.#guard(() => runtime.ping());
      throw agentErrors.imageNotFound(image, err instanceof Error ? err.message : String(err));
    } finally {
      this.#pulling.delete(claimId);
    }
  }

  async #createContainer(
    req: AgentCreateContainerRequest,
    gpuIds: number[],
    devices: readonly GpuDevice[],
    mounts: ContainerMount[],
  ): Promise<CreateResult> {
    const ids = gpuIds.join(',');
    const uuids = gpuIds.map((i) => devices.find((d) => d.index === i)?.uuid ?? '').join(',');
    const chosen = devices.filter((d) => gpuIds.includes(d.index));
    const gpu = await this.#injector.configFor(chosen);
    if ('refused' in gpu) throw agentErrors.gpuUnavailable(gpu.refused);
    // The GPU environment always wins: CUDA images carry NVIDIA_VISIBLE_DEVICES=all, which an
    // NVIDIA runtime would honour, and a name set twice reaches the process twice.
    const own = new Set([...RESERVED_ENV, ...gpu.env.map(envName)]);
    const env = [...(req.env_vars ?? []).filter((kv) => !own.has(envName(kv))), ...gpu.env];
    // A server behind the HTTP proxy needs its base path, /proxy/claims/<claim id>/<port>/.
    env.push(`UTOPIA_CLAIM_ID=${req.claim_id}`);
    const labels = {
      ...this.#opts.extraLabels,
      [Labels.Managed]: 'true',
      [Labels.ClaimId]: req.claim_id,
      [Labels.GpuIds]: ids,
      [Labels.GpuUuids]: uuids,
      [Labels.GpuCount]: String(gpuIds.length),
      [Labels.NodeId]: this.#opts.nodeId(),
    };
    const spec = {
      name: `utopia-claim-${req.claim_id}`,
      image: req.image,
      labels,
      env,
      command: req.command,
      workingDir: req.working_dir,
      networkMode: this.#opts.networkMode,
      ports: (req.port_mappings ?? []).map((p) => ({
        hostPort: p.host_port,
        containerPort: p.container_port,
        protocol: p.protocol ?? ('tcp' as const),
      })),
      gpuDeviceIds: gpu.deviceRequestIds,
      gpuHost: hostDevicesOf(gpu),
      mounts,
      limits: containerLimits(req),
    };
    try {
      const containerId = await this.#createNamed(spec);
      this.#opts.logger.info({ claimId: req.claim_id, containerId, gpuIds }, 'container created');
      return { containerId, created: true };
    } catch (err) {
      // Another agent process of this node won the name: that container is this claim's.
      const existing =
        isRuntimeError(err) && err.kind === 'conflict'
          ? await this.#findByClaim(req.claim_id)
          : undefined;
      if (existing) return { containerId: existing.id, created: false };
      throw toAgentError(err, 'create');
    }
  }

  /**
   * #createNamed is used to create under the canonical name utopia-claim-<claimId>. Only when that
   * name is held by ANOTHER node's container (simulated nodes sharing one Docker Engine, after the
   * server moved the claim) does it fall back to a name with this node's id in it.
   */
  async #createNamed(spec: ContainerCreateSpec): Promise<string> {
    try {
      return await this.#opts.runtime.create(spec);
    } catch (err) {
      if (!isRuntimeError(err) || err.kind !== 'conflict') throw err;
      const claimId = spec.labels[Labels.ClaimId] ?? '';
      if (await this.#findByClaim(claimId)) throw err;
      const node = this.#opts.nodeId().replace(/[^A-Za-z0-9_.-]/g, '-');
      return this.#opts.runtime.create({ ...spec, name: `${spec.name}-${node}` });
    }
  }

  async #start(id: string): Promise<void> {
    try {
      await this.#opts.runtime.start(id);
    } catch (err) {
      // A container that cannot start (bad command, missing GPU driver) must not hold its GPUs.
      await this.#opts.runtime.remove(id).catch(() => undefined);
      throw toAgentError(err, 'start');
    }
  }

  #guard<T>(fn: () => Promise<T>): Promise<T> {
    return guardRuntime(fn);
  }
}

/** guardRuntime is used around a runtime call: its failure becomes the API's error. */
export async function guardRuntime<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toAgentError(err, 'call');
  }
}

/** toAgentError is used to turn a runtime failure into the API's error, by its kind. */
export function toAgentError(err: unknown, what: string): AgentError {
  if (err instanceof AgentError) return err;
  if (isRuntimeError(err)) {
    if (err.kind === 'unavailable') return agentErrors.dockerUnavailable(err.message);
    if (err.kind === 'not-found' || err.kind === 'rejected' || err.kind === 'conflict') {
      const doing = what === 'call' ? 'the request' : `to ${what} the container`;
      return agentErrors.createFailed(`Docker refused ${doing}: ${err.message}`);
    }
  }
  return agentErrors.internal(err instanceof Error ? err.message : String(err));
}

function envName(kv: string): string {
  return kv.slice(0, kv.indexOf('='));
}

/** isOwnedBy is used to keep to one node's containers; unlabelled ones (original agent) count. */
function isOwnedBy(c: ContainerDetails, nodeId: string): boolean {
  const owner = c.labels[Labels.NodeId];
  return owner === undefined || owner === '' || owner === nodeId;
}

function hasOtherGpus(existing: ContainerDetails, req: AgentCreateContainerRequest): boolean {
  if (req.gpu_ids === undefined) return false;
  const want = [...req.gpu_ids].sort((a, b) => a - b).join(',');
  const have = parseGpuLabel(existing.labels[Labels.GpuIds]).sort((a, b) => a - b);
  return have.join(',') !== want;
}
