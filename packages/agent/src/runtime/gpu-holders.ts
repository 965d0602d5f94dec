import type { GpuDevice } from '../gpu/gpu-backend.js';
import { Labels, parseGpuLabel } from './container-info.js';
import type { ContainerDetails } from './container-runtime.js';

/**
 * heldGpus is used to tell which of this node's GPU indices a live container holds. A GPU UUID
 * label names the devices themselves, whatever node id the container carries. By index only:
 * this node's own containers (in case the UUIDs changed, say a new simulation seed) and any
 * container without UUIDs (made by the original agent or an older Utopia agent), since nothing
 * then tells whose GPUs its indices are.
 */
export function heldGpus(c: ContainerDetails, gpus: readonly GpuDevice[], mine: boolean): number[] {
  const held = new Set<number>();
  const uuidLabel = c.labels[Labels.GpuUuids];
  if (uuidLabel !== undefined && uuidLabel !== '') {
    const uuids = new Set(uuidLabel.split(',').filter((u) => u !== ''));
    for (const g of gpus) if (uuids.has(g.uuid)) held.add(g.index);
  }
  if (mine || uuidLabel === undefined) {
    for (const index of parseGpuLabel(c.labels[Labels.GpuIds])) held.add(index);
  }
  return [...held];
}
