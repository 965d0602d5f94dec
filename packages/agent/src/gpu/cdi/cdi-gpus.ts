import type { GpuContainerConfig } from '../gpu-container-config.js';
import type { GpuDevice } from '../gpu-backend.js';
import { resolveCdiDevices, whereLooked } from './cdi-edits.js';
import { toDockerGpuConfig } from './cdi-docker.js';
import type { HookNote, HostLinks } from './cdi-hooks.js';
import { loadCdiRegistry, type CdiRegistry } from './cdi-registry.js';

/** NVIDIA_GPU_KIND is used as the CDI kind of NVIDIA GPUs, as nvidia-ctk names it. */
export const NVIDIA_GPU_KIND = 'nvidia.com/gpu';

/** CdiGpuResult is used to hand back the Docker pieces for some GPUs, or why not. */
export type CdiGpuResult =
  | { ok: true; config: GpuContainerConfig; devices: string[]; hooks: HookNote[]; notes: string[] }
  | { ok: false; reason: string };

/**
 * cdiDeviceNameFor is used to find a GPU's CDI device: by index ("0"), else by UUID, the two
 * names nvidia-ctk writes. `all` is never used: a container gets exactly its own GPUs.
 */
export function cdiDeviceNameFor(
  registry: CdiRegistry,
  kind: string,
  gpu: Pick<GpuDevice, 'index' | 'uuid'>,
): string | undefined {
  return [`${kind}=${gpu.index}`, `${kind}=${gpu.uuid}`].find((n) => registry.devices.has(n));
}

/** uncoveredGpus is used by `auto` mode: the GPUs no CDI device stands for. */
export function uncoveredGpus<T extends Pick<GpuDevice, 'index' | 'uuid'>>(
  registry: CdiRegistry,
  kind: string,
  gpus: readonly T[],
): T[] {
  return gpus.filter((g) => cdiDeviceNameFor(registry, kind, g) === undefined);
}

/**
 * cdiConfigForGpus is used at each container create: the spec folders are read afresh (a driver
 * upgrade rewrites the specs), the GPUs' devices looked up and their edits turned into Docker's
 * terms. A GPU no spec covers refuses the create, naming where it looked.
 */
export async function cdiConfigForGpus(
  dirs: readonly string[],
  kind: string,
  gpus: readonly GpuDevice[],
  hostLinks?: HostLinks,
): Promise<CdiGpuResult> {
  const registry = await loadCdiRegistry(dirs);
  const names: string[] = [];
  for (const gpu of gpus) {
    const name = cdiDeviceNameFor(registry, kind, gpu);
    if (name === undefined) {
      return {
        ok: false,
        reason: `no CDI device ${kind}=${gpu.index} or ${kind}=${gpu.uuid} for GPU ${gpu.index} ${whereLooked(registry)}`,
      };
    }
    names.push(name);
  }
  const resolved = resolveCdiDevices(registry, names);
  if (!resolved.ok) return resolved;
  const docker = await toDockerGpuConfig(resolved.edits, hostLinks);
  if (!docker.ok) return { ok: false, reason: `CDI spec cannot be applied: ${docker.reason}` };
  return { ...docker, devices: resolved.edits.devices };
}
