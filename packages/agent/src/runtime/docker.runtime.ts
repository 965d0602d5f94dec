import Docker from 'dockerode';
import type { ContainerInspectInfo } from 'dockerode';
import { PassThrough, type Readable } from 'node:stream';
import {
  RuntimeError,
  type ContainerCreateSpec,
  type ContainerDetails,
  type ContainerRuntime,
  type LogOptions,
} from './container-runtime.js';

/** MANAGED_LABEL is used to mark, and later find, every container the agent runs. */
export const MANAGED_LABEL = 'utopia.managed';

/** createDockerClient is used to reach the Docker Engine: socket flag, else DOCKER_HOST, else default. */
export function createDockerClient(socket: string | undefined): Docker {
  if (socket === undefined) return new Docker();
  return new Docker({ socketPath: socket.replace(/^unix:\/\//, '') });
}

/** DockerRuntime is used as the real ContainerRuntime, through the Engine API (dockerode). */
export class DockerRuntime implements ContainerRuntime {
  readonly #docker: Docker;

  constructor(docker: Docker) {
    this.#docker = docker;
  }

  async ping(): Promise<void> {
    await call(() => this.#docker.ping());
  }

  async listManaged(): Promise<ContainerDetails[]> {
    const summaries = await call(() =>
      this.#docker.listContainers({ all: true, filters: { label: [`${MANAGED_LABEL}=true`] } }),
    );
    const details = await Promise.all(summaries.map((s) => this.inspect(s.Id)));
    return details.filter((d): d is ContainerDetails => d !== undefined);
  }

  async inspect(id: string): Promise<ContainerDetails | undefined> {
    try {
      return toDetails(await call(() => this.#docker.getContainer(id).inspect()));
    } catch (err) {
      if (err instanceof RuntimeError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  async hasImage(image: string): Promise<boolean> {
    try {
      await call(() => this.#docker.getImage(image).inspect());
      return true;
    } catch (err) {
      if (err instanceof RuntimeError && err.kind === 'not-found') return false;
      throw err;
    }
  }

  async pullImage(image: string): Promise<void> {
    try {
      const stream = await this.#docker.pull(image);
      // Errors met half-way through a pull arrive inside the progress stream, not as a status.
      await new Promise<void>((resolve, reject) => {
        this.#docker.modem.followProgress(stream, (err: Error | null, output: unknown[]) => {
          const failed = err ?? output.find(isProgressError);
          if (failed) reject(failed instanceof Error ? failed : new Error(progressMessage(failed)));
          else resolve();
        });
      });
    } catch (err) {
      const known = toRuntimeError(err);
      if (known.kind === 'unavailable') throw known;
      throw new RuntimeError('image-pull', known.message);
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
    const container = await call(() =>
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
    await call(() => this.#docker.getContainer(id).start());
  }

  async remove(id: string): Promise<void> {
    try {
      await call(() => this.#docker.getContainer(id).remove({ force: true }));
    } catch (err) {
      if (err instanceof RuntimeError && err.kind === 'not-found') return;
      // "removal of container ... is already in progress" also ends with the container gone.
      if (err instanceof RuntimeError && err.kind === 'conflict') return;
      throw err;
    }
  }

  async logs(id: string, opts: LogOptions): Promise<Readable> {
    const container = this.#docker.getContainer(id);
    const base = {
      stdout: true,
      stderr: true,
      timestamps: false,
      ...(opts.tail !== undefined ? { tail: opts.tail } : {}),
    };
    const out = new PassThrough();
    if (opts.follow) {
      const stream = await call(() => container.logs({ ...base, follow: true }));
      this.#docker.modem.demuxStream(stream, out, out);
      stream.on('end', () => out.end());
      stream.on('error', (err: Error) => out.destroy(err));
      out.on('close', () => destroyStream(stream));
    } else {
      const buffer = await call(() => container.logs({ ...base, follow: false }));
      out.end(demuxBuffer(buffer));
    }
    return out;
  }
}

function destroyStream(stream: NodeJS.ReadableStream): void {
  const d = stream as NodeJS.ReadableStream & { destroy?: () => void };
  d.destroy?.();
}

/** demuxBuffer is used to strip Docker's 8-byte stream frame headers from a non-TTY log. */
export function demuxBuffer(buffer: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buffer.length) {
    const type = buffer[at];
    const size = buffer.readUInt32BE(at + 4);
    if ((type !== 0 && type !== 1 && type !== 2) || buffer[at + 1] !== 0) return buffer; // a TTY log
    parts.push(buffer.subarray(at + 8, at + 8 + size));
    at += 8 + size;
  }
  return Buffer.concat(parts);
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

function isProgressError(item: unknown): boolean {
  return typeof item === 'object' && item !== null && 'error' in item;
}

function progressMessage(item: unknown): string {
  const e = (item as { error?: unknown; errorDetail?: { message?: unknown } }) ?? {};
  return String(e.errorDetail?.message ?? e.error ?? 'pull failed');
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw toRuntimeError(err);
  }
}

/** toRuntimeError is used to turn a dockerode/socket error into a classified RuntimeError. */
export function toRuntimeError(err: unknown): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const e = (err ?? {}) as {
    statusCode?: unknown;
    code?: unknown;
    json?: unknown;
    message?: unknown;
  };
  const message = dockerMessage(e);
  if (
    typeof e.code === 'string' &&
    ['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EPIPE'].includes(e.code)
  ) {
    return new RuntimeError('unavailable', `Docker Engine unreachable: ${message}`);
  }
  switch (e.statusCode) {
    case 404:
      return new RuntimeError('not-found', message);
    case 409:
      return new RuntimeError('conflict', message);
    case 400:
      return new RuntimeError('rejected', message);
    default:
      return new RuntimeError(
        typeof e.statusCode === 'number' ? 'rejected' : 'unavailable',
        message,
      );
  }
}

function dockerMessage(e: { json?: unknown; message?: unknown }): string {
  const json = e.json as { message?: unknown } | undefined;
  if (json && typeof json.message === 'string') return json.message;
  return typeof e.message === 'string'
    ? e.message.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '')
    : 'unknown Docker error';
}
