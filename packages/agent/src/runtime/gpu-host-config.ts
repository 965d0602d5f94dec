import type { HostConfig } from 'dockerode';
import type { ContainerCreateSpec } from './container-runtime.js';

/** GpuHostConfigPart is used for the HostConfig fields that give a container its GPUs. */
export type GpuHostConfigPart = Pick<
  HostConfig,
  'DeviceRequests' | 'Devices' | 'Mounts' | 'Tmpfs' | 'GroupAdd'
>;

/**
 * gpuHostConfig is used by the Docker runtime's create: NVIDIA runtime mode asks for the exact
 * GPU ids through DeviceRequests; CDI mode names the device nodes, bind mounts, tmpfs mounts and
 * groups itself, which any Docker Engine takes without a vendor runtime. Fields stay absent when
 * empty, so a container without GPUs is created as before.
 */
export function gpuHostConfig(spec: ContainerCreateSpec): GpuHostConfigPart {
  const part: GpuHostConfigPart = {};
  if (spec.gpuDeviceIds.length > 0) {
    part.DeviceRequests = [
      { Driver: 'nvidia', DeviceIDs: spec.gpuDeviceIds, Capabilities: [['gpu']] },
    ];
  }
  const host = spec.gpuHost;
  if (!host) return part;
  if (host.devices.length > 0) {
    part.Devices = host.devices.map((d) => ({
      PathOnHost: d.pathOnHost,
      PathInContainer: d.pathInContainer,
      CgroupPermissions: d.permissions,
    }));
  }
  if (host.mounts.length > 0) {
    part.Mounts = host.mounts.map((m) => ({
      Type: 'bind' as const,
      Source: m.source,
      Target: m.target,
      ReadOnly: m.readOnly,
      ...(m.propagation ? { BindOptions: { Propagation: m.propagation } } : {}),
    }));
  }
  if (Object.keys(host.tmpfs).length > 0) part.Tmpfs = { ...host.tmpfs };
  if (host.groupAdd.length > 0) part.GroupAdd = [...host.groupAdd];
  return part;
}
