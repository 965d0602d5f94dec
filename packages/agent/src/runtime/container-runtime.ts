import type { Duplex, Readable } from 'node:stream';

/** ContainerState is used to carry Docker's view of a container's life. */
export interface ContainerState {
  /** created, running, paused, restarting, removing, exited or dead. */
  status: string;
  exitCode: number | null;
  /** unix seconds, null when never started / not finished. */
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
}

/** ContainerDetails is used to describe one container as the agent needs it. */
export interface ContainerDetails {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  created: number;
  state: ContainerState;
  /** "8888/tcp" → "0.0.0.0:32768" for published ports. */
  ports: Record<string, string>;
  env: string[];
}

/** ContainerCreateSpec is used to create a container; no host mounts or privileges exist here. */
export interface ContainerCreateSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  env: string[];
  command: string[] | undefined;
  workingDir: string | undefined;
  networkMode: string;
  ports: Array<{ hostPort: number; containerPort: number; protocol: 'tcp' | 'udp' }>;
  /** Exact GPU device ids for Docker's DeviceRequests (driver nvidia); empty: no request. */
  gpuDeviceIds: string[];
}

/** LogOptions is used to choose the log window and whether to follow it. */
export interface LogOptions {
  tail: number | undefined;
  follow: boolean;
  /** Unix seconds (fractions allowed): only lines written at or after it. */
  since?: number | undefined;
  /** Prefix each line with Docker's RFC 3339 (nanosecond) timestamp and a space. */
  timestamps?: boolean | undefined;
}

/** ExecOptions is used to start a command in a running container. */
export interface ExecOptions {
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/** ExecSession is used to drive one started exec: its stream, its terminal size, its exit code. */
export interface ExecSession {
  /** The hijacked connection: writes are stdin; reads are Docker-framed output (raw with a TTY). */
  stream: Duplex;
  resize(width: number, height: number): Promise<void>;
  /** exitCode is used once the stream ended; null while Docker still reports it running. */
  exitCode(): Promise<number | null>;
}

/**
 * ContainerRuntime is used as the subset of the Docker Engine API the agent calls, so the rest
 * of the agent can be tested against a fake. Every container it lists carries our managed label.
 */
export interface ContainerRuntime {
  ping(): Promise<void>;
  /** listManaged is used to read every container (running or not) labelled utopia.managed=true. */
  listManaged(): Promise<ContainerDetails[]>;
  inspect(id: string): Promise<ContainerDetails | undefined>;
  hasImage(image: string): Promise<boolean>;
  pullImage(image: string): Promise<void>;
  create(spec: ContainerCreateSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** remove is used to stop and delete a container; a missing one is not an error. */
  remove(id: string): Promise<void>;
  /** logs is used to read a container's output, stdout and stderr merged, headers stripped. */
  logs(id: string, opts: LogOptions): Promise<Readable>;
  exec(id: string, opts: ExecOptions): Promise<ExecSession>;
}

/** RuntimeErrorKind is used to classify Docker failures for the API's error reasons. */
export const RuntimeErrorKind = {
  Unavailable: 'unavailable',
  NotFound: 'not-found',
  Conflict: 'conflict',
  ImagePull: 'image-pull',
  Rejected: 'rejected',
} as const;
export type RuntimeErrorKind = (typeof RuntimeErrorKind)[keyof typeof RuntimeErrorKind];

/** RuntimeError is used for Docker failures, with Docker's own message kept. */
export class RuntimeError extends Error {
  readonly kind: RuntimeErrorKind;
  constructor(kind: RuntimeErrorKind, message: string) {
    super(message);
    this.name = 'RuntimeError';
    this.kind = kind;
  }
}

/** isRuntimeError is used to narrow an unknown error to a RuntimeError. */
export function isRuntimeError(err: unknown): err is RuntimeError {
  return err instanceof RuntimeError;
}
