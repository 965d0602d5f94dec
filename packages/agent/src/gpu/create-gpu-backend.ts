import type { GpuBackend } from './gpu-backend.js';
import { NvidiaSmiBackend, runCommand, type CommandRunner } from './nvidia-smi.backend.js';
import { NoGpuBackend, SimulatedGpuBackend } from './simulated.backend.js';

/** GpuBackendOptions is used to choose and set up the GPU backend. */
export interface GpuBackendOptions {
  simulateGpus: number;
  simulateGpuModel: string;
  simulateGpuMemoryMiB: number;
  nvidiaSmiPath: string;
  seed: string;
  run?: CommandRunner;
}

/**
 * createGpuBackend is used once at start: simulation when asked for; otherwise nvidia-smi if it
 * can be started (a failing driver is reported by its condition); otherwise no GPUs.
 */
export async function createGpuBackend(opts: GpuBackendOptions): Promise<GpuBackend> {
  if (opts.simulateGpus > 0) {
    return new SimulatedGpuBackend({
      count: opts.simulateGpus,
      model: opts.simulateGpuModel,
      memoryMiB: opts.simulateGpuMemoryMiB,
      seed: opts.seed,
    });
  }
  const run = opts.run ?? runCommand;
  const probe = await run(opts.nvidiaSmiPath, ['--version']);
  if (probe.spawnError === 'ENOENT') {
    return new NoGpuBackend(`${opts.nvidiaSmiPath} not found; no GPUs`);
  }
  const backend = new NvidiaSmiBackend(opts.nvidiaSmiPath, run);
  await backend.list();
  return backend;
}
