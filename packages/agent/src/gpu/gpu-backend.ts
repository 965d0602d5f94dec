import type { GpuState } from '@utopia/shared';

/** GpuProcess is used to record one compute process seen on a GPU. */
export interface GpuProcess {
  pid: number | null;
  name: string | null;
  usedMemoryMiB: number | null;
}

/** GpuDevice is used to describe one GPU of this node, with the processes seen on it. */
export interface GpuDevice extends GpuState {
  processes: GpuProcess[];
}

/** GpuBackendKind is used to say where the GPU list comes from. */
export const GpuBackendKind = {
  NvidiaSmi: 'nvidia-smi',
  Simulated: 'simulated',
  None: 'none',
} as const;
export type GpuBackendKind = (typeof GpuBackendKind)[keyof typeof GpuBackendKind];

/**
 * GpuBackend is used to discover the node's GPUs. `condition` says, for a person, whether the last
 * discovery worked ("ok") or why there are no GPUs. `requestsDevices` says whether containers must
 * get the GPUs through Docker DeviceRequests (real GPUs) or only through the environment
 * (simulated GPUs: Docker refuses a GPU request without the NVIDIA runtime).
 */
export interface GpuBackend {
  readonly kind: GpuBackendKind;
  readonly requestsDevices: boolean;
  readonly condition: string;
  list(): Promise<GpuDevice[]>;
}
