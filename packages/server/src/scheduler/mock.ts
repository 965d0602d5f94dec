// Test factories (nomad: nomad/mock/node.go): one healthy node by default, override what a case needs.
import type { GpuView, NodeView, ReservationView } from './types.js';

/** DEFAULT_GPU_MODEL is used as the model of every mock GPU unless a test says otherwise. */
export const DEFAULT_GPU_MODEL = 'NVIDIA A100-SXM4-80GB';

/** MockNodeOptions is used to override parts of a mock node. */
export interface MockNodeOptions extends Partial<NodeView> {
  /** Number of identical GPUs to generate when `gpus` is not given. */
  gpuCount?: number;
  gpuModel?: string;
  gpuMemoryMiB?: number;
}

/** mockGpu is used to build one GPU view with predictable uuid and defaults. */
export function mockGpu(index: number, overrides: Partial<GpuView> = {}): GpuView {
  return {
    index,
    uuid: `GPU-${String(index).padStart(8, '0')}`,
    model: DEFAULT_GPU_MODEL,
    memoryTotalMiB: 81920,
    ...overrides,
  };
}

/** mockNode is used to build an Online, schedulable node with 4 A100 GPUs unless overridden. */
export function mockNode(options: MockNodeOptions = {}): NodeView {
  const { gpuCount = 4, gpuModel, gpuMemoryMiB, ...node } = options;
  const id = node.id ?? 'node-a';
  const gpuOverrides: Partial<GpuView> = {
    ...(gpuModel === undefined ? {} : { model: gpuModel }),
    ...(gpuMemoryMiB === undefined ? {} : { memoryTotalMiB: gpuMemoryMiB }),
  };
  return {
    id,
    hostname: `${id}.lab`,
    status: 'Online',
    schedulable: true,
    labels: {},
    gpus: Array.from({ length: gpuCount }, (_, i) => mockGpu(i, gpuOverrides)),
    ...node,
  };
}

/** reserve is used to turn a placement into the reservation rows the controller would write. */
export function reserve(
  claimId: string,
  nodeId: string,
  gpuIndices: readonly number[],
): ReservationView[] {
  return gpuIndices.map((gpuIndex) => ({ nodeId, gpuIndex, claimId }));
}
