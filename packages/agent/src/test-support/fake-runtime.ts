// An in-memory ContainerRuntime for unit tests of the claim logic; tests only.
import { Readable } from 'node:stream';
import {
  RuntimeError,
  type ContainerCreateSpec,
  type ContainerDetails,
  type ContainerRuntime,
  type ExecSession,
} from '../runtime/container-runtime.js';

/** FakeRuntime is used to record what the agent asks of Docker and to script failures. */
export class FakeRuntime implements ContainerRuntime {
  readonly containers = new Map<string, ContainerDetails>();
  readonly created: ContainerCreateSpec[] = [];
  images = new Set<string>(['img:1']);
  /** When set, pullImage waits for it (to observe the "pulling" state), then applies pullError. */
  pullGate: Promise<void> | undefined;
  pullError: RuntimeError | undefined;
  startError: RuntimeError | undefined;
  down = false;
  #next = 1;

  #check(): void {
    if (this.down)
      throw new RuntimeError('unavailable', 'Docker Engine unreachable: connect ENOENT');
  }

  async ping(): Promise<void> {
    this.#check();
  }

  async listManaged(): Promise<ContainerDetails[]> {
    this.#check();
    return [...this.containers.values()].filter((c) => c.labels['utopia.managed'] === 'true');
  }

  async inspect(id: string): Promise<ContainerDetails | undefined> {
    this.#check();
    return this.containers.get(id);
  }

  async hasImage(image: string): Promise<boolean> {
    this.#check();
    return this.images.has(image);
  }

  async pullImage(image: string): Promise<void> {
    this.#check();
    await this.pullGate;
    if (this.pullError) throw this.pullError;
    this.images.add(image);
  }

  async create(spec: ContainerCreateSpec): Promise<string> {
    this.#check();
    if ([...this.containers.values()].some((c) => c.name === spec.name)) {
      throw new RuntimeError(
        'conflict',
        `Conflict. The container name "/${spec.name}" is already in use`,
      );
    }
    const id = `c${this.#next++}`;
    this.created.push(spec);
    this.containers.set(id, {
      id,
      name: spec.name,
      image: spec.image,
      labels: spec.labels,
      created: 1,
      state: { status: 'created', exitCode: null, startedAt: null, finishedAt: null, error: null },
      ports: {},
      env: spec.env,
    });
    return id;
  }

  async start(id: string): Promise<void> {
    this.#check();
    if (this.startError) throw this.startError;
    const c = this.containers.get(id);
    if (c) c.state = { ...c.state, status: 'running', startedAt: 2 };
  }

  async remove(id: string): Promise<void> {
    this.#check();
    this.containers.delete(id);
  }

  /** exit is used to simulate a container ending with a code. */
  exit(id: string, code: number): void {
    const c = this.containers.get(id);
    if (c) c.state = { ...c.state, status: 'exited', exitCode: code, finishedAt: 3 };
  }

  async logs(): Promise<Readable> {
    this.#check();
    return Readable.from(['log line\n']);
  }

  exec(): Promise<ExecSession> {
    this.#check();
    return Promise.reject(new RuntimeError('rejected', 'the fake runtime runs no commands'));
  }
}
