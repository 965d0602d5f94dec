import type { GpuBackend, GpuDevice } from './gpu-backend.js';

/**
 * GpuMonitor is used to keep the last GPU reading, refreshed in the background, so that a metrics
 * request never waits for nvidia-smi (the original agent queried NVML inside the request).
 */
export class GpuMonitor {
  readonly backend: GpuBackend;
  #devices: GpuDevice[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(backend: GpuBackend) {
    this.backend = backend;
  }

  async start(intervalMs = 10_000): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  async refresh(): Promise<GpuDevice[]> {
    this.#devices = await this.backend.list();
    return this.#devices;
  }

  current(): GpuDevice[] {
    return this.#devices;
  }
}
