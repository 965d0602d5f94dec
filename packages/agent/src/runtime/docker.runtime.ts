import Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import { Readable } from 'node:stream';
import { DockerDemuxer } from './docker-demux.js';
import { toRuntimeError, isSocketError } from './docker-errors.js';
import { readPullProgress } from './docker-pull.js';
import {
  isRuntimeError,
  RuntimeError,
  type ContainerCreateSpec,
  type ContainerDetails,
  type ContainerRuntime,
  type ExecOptions,
  type ExecSession,
  type LogOptions,
} from './container-runtime.js';

/** MANAGED_LABEL is used to mark, and later find, every container the agent runs. */
export const MANAGED_LABEL = 'utopia.managed';

/** createDockerClient is used to reach the Docker Engine: socket flag, else DOCKER_HOST, else default. */
export function createDockerClient(socket: string | undefined): Docker {
  if (socket === undefined) return new Docker();
  return new Docker({ socketPath: socket.replace(/^unix:\/\//, '') });
}

/** DockerRuntimeOptions is used to tune the Docker runtime (tests shorten the deadline). */
export interface DockerRuntimeOptions {
  /** Longest wait for one Engine call (not for a pull's or a followed log's stream). */
  callTimeoutMs?: number;
}

// As kubelet's --runtime-request-timeout: long enough for a busy Engine, short of forever.
const DEFAULT_CALL_TIMEOUT_MS = 120_000;

/** DockerRuntime is used as the real ContainerRuntime, through the Engine API (dockerode). */
export class DockerRuntime implements ContainerRuntime {
  readonly #docker: Docker;
  readonly #callTimeoutMs: number;

  constructor(docker: Docker, opts: DockerRuntimeOptions = {}) {
    this.#docker = docker;
    this.#callTimeoutMs = opts.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  }

  /**
   * #call is used for every Engine call: its error is classified, and it gets a deadline.
   * docker-modem never settles a call whose connection is cut after the answer began (say
   * dockerd restarting), and a call that never ends would hold its claim's lock for good.
   */
  #call<T>(fn: () => Promise<T>): Promise<T> {
    return this.#deadline(call(fn));
  }

  #deadline<T>(work: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const s = this.#callTimeoutMs / 1000;
        reject(new RuntimeError('unavailable', `Docker Engine did not answer within ${s}s`));
      }, this.#callTimeoutMs);
      timer.unref();
    });
    return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
  }

  /** #container is used for every call on one container, its id made a safe URL path segment. */
  #container(id: string): Docker.Container {
    return this.#docker.getContainer(idSegment(id));
  }

  async ping(): Promise<void> {
    await this.#call(() => this.#docker.ping());
  }

  async listManaged(): Promise<ContainerDetails[]> {
    const summaries = await this.#call(() =>
      this.#docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`] } }),
    );
    const details = await Promise.all(summaries.map((s) => this.inspect(s.Id)));
    return details.filter((d): d is ContainerDetails => d !== undefined);
  }

  async inspect(id: string): Promise<ContainerDetails | undefined> {
    try {
      return toDetails(await this.#call(() => this.#container(id).inspect()));
    } catch (err) {
      if (err instanceof RuntimeError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  async hasImage(image: string): Promise<boolean> {
    try {
      await this.#call(() => this.#docker.getImage(imageSegment(image)).inspect());
      return true;
    } catch (err) {
      if (err instanceof RuntimeError && err.kind === 'not-found') return false;
      throw err;
    }
  }

  async pullImage(image: string): Promise<void> {
    imageSegment(image);
    try {
      await readPullProgress(await this.#deadline(this.#docker.pull(image)));
    } catch (err) {
      // Only a lost (or silent) Engine is transient; whatever Docker answered (an unknown
      // repository, a registry it cannot reach) leaves the image missing: the caller says so.
      if (isSocketError(err) || isRuntimeError(err)) throw toRuntimeError(err);
      throw new RuntimeError('image-pull', toRuntimeError(err).message);
    }
  }

  async create(spec: ContainerCreateSpec): Promise<string> {
    const exposed: Record<string, object> = {};
    const bindings: Record<string, Array<{ HostPort: string }>> = {};
    for (const p of spec.ports) {
      const key = `${p.containerPort}/${p.protocol}`;
      exposed[key] = {};
      bindings[key] = [{ HostPort: p.hostPort === 0 ? '' : String(p.hostPort) }];
    }
    const container = await this.#call(() =>
      this.#docker.createContainer({
        name: spec.name,
        Image: spec.image,
        Labels: spec.labels,
        Env: spec.env,
        ...(spec.command && spec.command.length > 0 ? { Cmd: spec.command } : {}),
        ...(spec.workingDir ? { WorkingDir: spec.workingDir } : {}),
        ExposedPorts: exposed,
        HostConfig: {
          NetworkMode: spec.networkMode,
          PortBindings: bindings,
          // The server decides restarts; Docker must not restart behind its back.
          RestartPolicy: { Name: 'no' },
          Privileged: false,
          ...(spec.gpuDeviceIds.length > 0
            ? {
                DeviceRequests: [
                  { Driver: 'nvidia', DeviceIDs: spec.gpuDeviceIds, Capabilities: [['gpu']] },
                ],
              }
            : {}),
        },
      }),
    );
    return container.id;
  }

  async start(id: string): Promise<void> {
    await this.#call(() => this.#container(id).start());
  }

  async remove(id: string): Promise<void> {
    try {
      await this.#call(() => this.#container(id).remove({ force: true }));
    } catch (err) {
      if (err instanceof RuntimeError && err.kind === 'not-found') return;
      // "removal of container ... is already in progress" also ends with the container gone.
      if (err instanceof RuntimeError && err.kind === 'conflict') return;
      throw err;
    }
  }

  async logs(id: string, opts: LogOptions): Promise<Readable> {
    const path = `/containers/${idSegment(id)}/logs?`;
    const options = {
      stdout: true,
      stderr: true,
      follow: opts.follow,
      timestamps: opts.timestamps ?? false,
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
    };
    // Always as a stream (dockerode buffers a log it does not follow): a long log must never
    // sit in the agent's memory whole.
    const raw = await this.#call(() => this.#dialStream(path, options));
    const out = new DockerDemuxer({ merged: true });
    // A connection cut by the Engine closes its stream without 'end' or 'error'.
    raw.on('close', () => out.end());
    raw.on('error', (err: Error) => out.destroy(err));
    out.on('close', () => raw.destroy());
    return raw.pipe(out);
  }

  async exec(id: string, opts: ExecOptions): Promise<ExecSession> {
    const container = this.#container(id);
    const exec = await this.#call(() =>
      container.exec({
        Cmd: opts.command,
        AttachStdin: opts.stdin,
        AttachStdout: opts.stdout,
        AttachStderr: opts.stderr,
        Tty: opts.tty,
      }),
    );
    const stream = await this.#call(() =>
      exec.start({ hijack: true, stdin: opts.stdin, Tty: opts.tty }),
    );
    return {
      stream,
      resize: async (width, height) => {
        await this.#call(() => exec.resize({ w: width, h: height }));
      },
      exitCode: async () => {
        const info = await this.#call(() => exec.inspect());
        return info.Running ? null : info.ExitCode;
      },
    };
  }

  #dialStream(path: string, options: Record<string, unknown>): Promise<Readable> {
    return new Promise((resolve, reject) => {
      this.#docker.modem.dial(
        {
          path,
          method: 'GET',
          isStream: true,
          statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
          options,
        },
        (err, data) => {
          if (err) reject(err);
          else if (data instanceof Readable) resolve(data);
          else
            reject(new RuntimeError('unavailable', 'Docker Engine answered logs with no stream'));
        },
      );
    });
  }
}

/**
 * idSegment is used before a container id or name goes into an Engine API path. dockerode pastes
 * it in as is, the Engine decodes %2F and cleans "..", and dockerode follows the redirect that
 * follows to a host of the path's choosing without an error handler: so nothing but a plain
 * name gets through, and it is encoded all the same.
 */
function idSegment(id: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) {
    throw new RuntimeError('rejected', `not a container id or name: ${JSON.stringify(id)}`);
  }
  return encodeURIComponent(id);
}

/** imageSegment is used likewise for an image reference (one with "/" in it: no "." segments). */
function imageSegment(image: string): string {
  const parts = image.split('/');
  const bad = parts.some((p) => !/^[A-Za-z0-9]/.test(p)) || /[^\x21-\x7e]/.test(image);
  if (bad) throw new RuntimeError('rejected', `not an image reference: ${JSON.stringify(image)}`);
  return encodeURIComponent(image);
}

function toDetails(info: ContainerInspectInfo): ContainerDetails {
  const ports: Record<string, string> = {};
  for (const [key, binds] of Object.entries(info.NetworkSettings?.Ports ?? {})) {
    const first = binds?.[0];
    if (first) ports[key] = `${first.HostIp || '0.0.0.0'}:${first.HostPort}`;
  }
  const running = info.State.Status === 'running' || info.State.Status === 'restarting';
  const started = unixOrNull(info.State.StartedAt);
  const finished = running ? null : unixOrNull(info.State.FinishedAt);
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    image: info.Config.Image,
    labels: info.Config.Labels ?? {},
    created: unixOrNull(info.Created) ?? 0,
    state: {
      status: info.State.Status,
      exitCode: finished === null ? null : info.State.ExitCode,
      startedAt: started,
      finishedAt: finished,
      error: info.State.Error ? info.State.Error : null,
    },
    ports,
    env: info.Config.Env ?? [],
  };
}

function unixOrNull(iso: string | undefined): number | null {
  if (!iso || iso.startsWith('0001-01-01')) return null;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toRuntimeError(err);
  }
}
