/** GpuDeviceMapping is used for one host device node given to a container (HostConfig.Devices). */
export interface GpuDeviceMapping {
  pathOnHost: string;
  pathInContainer: string;
  /** cgroup permissions, a non-empty subset of "rwm". */
  permissions: string;
}

/** GpuBindMount is used for one host file or folder bound into a container (HostConfig.Mounts). */
export interface GpuBindMount {
  source: string;
  target: string;
  readOnly: boolean;
  propagation: 'private' | 'rprivate' | 'shared' | 'rshared' | 'slave' | 'rslave' | undefined;
}

/** GpuHostDevices is used for the host devices and files a container gets in CDI mode. */
export interface GpuHostDevices {
  devices: GpuDeviceMapping[];
  mounts: GpuBindMount[];
  /** Container path → tmpfs mount options. */
  tmpfs: Record<string, string>;
  /** Supplementary group ids of the container's process. */
  groupAdd: string[];
}

/**
 * GpuContainerConfig is used to carry, from the GPU injector to the container create, what gives
 * a container its GPUs: environment, and either Docker DeviceRequests (NVIDIA runtime) or device
 * nodes and mounts (CDI). Every list is empty for a container without GPUs.
 */
export interface GpuContainerConfig extends GpuHostDevices {
  /** Replaces any user entry of the same name. */
  env: string[];
  /** Exact GPU ids for DeviceRequests (driver nvidia); empty: no request. */
  deviceRequestIds: string[];
}

/** emptyGpuConfig is used to start a config that gives no device. */
export function emptyGpuConfig(env: string[] = []): GpuContainerConfig {
  return { env, deviceRequestIds: [], devices: [], mounts: [], tmpfs: {}, groupAdd: [] };
}

/** hostDevicesOf is used to keep only the host pieces, for the container create spec. */
export function hostDevicesOf(c: GpuContainerConfig): GpuHostDevices {
  return { devices: c.devices, mounts: c.mounts, tmpfs: c.tmpfs, groupAdd: c.groupAdd };
}
