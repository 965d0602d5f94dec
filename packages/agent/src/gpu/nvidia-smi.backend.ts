import { execFile } from 'node:child_process';
import type { GpuBackend, GpuDevice } from './gpu-backend.js';
import {
  attachProcesses,
  COMPUTE_APPS_FIELDS,
  GPU_QUERY_FIELDS,
  parseQueryCsv,
  toGpuDevices,
  toProcessesByUuid,
} from './nvidia-smi.parser.js';

/** CommandResult is used to hand back what a command printed and how it ended. */
export interface CommandResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Set when the command could not be started at all (e.g. ENOENT). */
  spawnError?: string;
}

/** CommandRunner is used to run nvidia-smi; tests pass a fake. */
export type CommandRunner = (file: string, args: readonly string[]) => Promise<CommandResult>;

/** runCommand is used as the real CommandRunner: no shell, a timeout, bounded output. */
export const runCommand: CommandRunner = (file, args) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const errno = err && 'code' in err ? err.code : undefined;
        if (typeof errno === 'string') {
          resolve({ code: null, stdout, stderr, spawnError: errno });
          return;
        }
        resolve({ code: typeof errno === 'number' ? errno : err ? 1 : 0, stdout, stderr });
      },
    );
  });

/** NvidiaSmiBackend is used on real GPU nodes: each list() runs nvidia-smi twice. */
export class NvidiaSmiBackend implements GpuBackend {
  readonly kind = 'nvidia-smi' as const;
  readonly requestsDevices = true;
  #condition = 'not yet queried';
  readonly #command: string;
  readonly #run: CommandRunner;

  constructor(command: string, run: CommandRunner = runCommand) {
    this.#command = command;
    this.#run = run;
  }

  get condition(): string {
    return this.#condition;
  }

  /** list is used to read the GPUs; on failure it reports none and says why in `condition`. */
  async list(): Promise<GpuDevice[]> {
    try {
      const gpus = await this.#query(`--query-gpu=${GPU_QUERY_FIELDS.join(',')}`, GPU_QUERY_FIELDS);
      const devices = toGpuDevices(gpus);
      // Processes are extra information: a failure here must not hide the GPUs themselves.
      let withProcesses = devices;
      try {
        const apps = await this.#query(
          `--query-compute-apps=${COMPUTE_APPS_FIELDS.join(',')}`,
          COMPUTE_APPS_FIELDS,
        );
        withProcesses = attachProcesses(devices, toProcessesByUuid(apps));
      } catch {
        withProcesses = devices;
      }
      this.#condition = devices.length === 0 ? 'nvidia-smi lists no GPUs' : 'ok';
      return withProcesses;
    } catch (err) {
      this.#condition = err instanceof Error ? err.message : String(err);
      return [];
    }
  }

  async #query(
    query: string,
    fields: readonly string[],
  ): Promise<ReturnType<typeof parseQueryCsv>> {
    const res = await this.#run(this.#command, [query, '--format=csv,noheader,nounits']);
    if (res.spawnError === 'ENOENT') throw new Error(`${this.#command} not found; no GPUs`);
    if (res.spawnError) throw new Error(`${this.#command} could not run: ${res.spawnError}`);
    if (res.code !== 0) {
      const said = (res.stdout.trim() || res.stderr.trim()).split('\n')[0] ?? '';
      throw new Error(`${this.#command} failed (exit ${res.code}): ${said}`.trim());
    }
    return parseQueryCsv(res.stdout, fields);
  }
}
