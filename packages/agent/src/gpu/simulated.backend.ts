import { createHash } from 'node:crypto';
import type { GpuBackend, GpuDevice } from './gpu-backend.js';

/** SimulatedGpuOptions is used to describe the pretend GPUs. */
export interface SimulatedGpuOptions {
  count: number;
  model: string;
  memoryMiB: number;
  /** Seed of the UUIDs (machine id or hostname): the same node keeps the same UUIDs. */
  seed: string;
}

/**
 * SimulatedGpuBackend is used for demos, benchmarks and tests on machines without GPUs: N identical
 * idle GPUs. Containers get no device, only the environment a real GPU container would see.
 */
export class SimulatedGpuBackend implements GpuBackend {
  readonly kind = 'simulated' as const;
  readonly requestsDevices = false;
  readonly condition: string;
  readonly #devices: GpuDevice[];

  constructor(opts: SimulatedGpuOptions) {
    this.condition = `simulated: ${opts.count} x ${opts.model}`;
    this.#devices = Array.from({ length: opts.count }, (_, index) => ({
      index,
      uuid: simulatedUuid(opts.seed, index),
      model: opts.model,
      memoryTotalMiB: opts.memoryMiB,
      memoryUsedMiB: 0,
      utilizationPercent: 0,
      temperatureC: 0,
      processes: [],
    }));
  }

  list(): Promise<GpuDevice[]> {
    return Promise.resolve(this.#devices.map((d) => ({ ...d, processes: [] })));
  }
}

/** simulatedUuid is used to derive a stable, GPU-shaped UUID from a seed and an index. */
export function simulatedUuid(seed: string, index: number): string {
  const h = createHash('sha256').update(`utopia-simulated-gpu:${seed}:${index}`).digest('hex');
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** NoGpuBackend is used when there is no driver and no simulation: zero GPUs, and why. */
export class NoGpuBackend implements GpuBackend {
  readonly kind = 'none' as const;
  readonly requestsDevices = false;
  readonly condition: string;

  constructor(condition: string) {
    this.condition = condition;
  }

  list(): Promise<GpuDevice[]> {
    return Promise.resolve([]);
  }
}
