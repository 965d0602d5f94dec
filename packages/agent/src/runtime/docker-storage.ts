import type { ContainerCreateSpec } from './container-runtime.js';

/** StorageHostConfig is used for the HostConfig fields that carry a claim's mounts and limits. */
export interface StorageHostConfig {
  Mounts?: Array<{ Type: 'volume' | 'bind'; Source: string; Target: string; ReadOnly: boolean }>;
  NanoCpus?: number;
  Memory?: number;
  MemorySwap?: number;
  ShmSize?: number;
}

/**
 * storageHostConfig is used to map a create spec's mounts and limits to Docker's HostConfig.
 * Mounts, not Binds: a bind whose source is missing fails instead of being created as root.
 * MemorySwap equals Memory, so the limit is not doubled with swap.
 */
export function storageHostConfig(spec: ContainerCreateSpec): StorageHostConfig {
  const { limits } = spec;
  return {
    ...(spec.mounts.length > 0
      ? {
          Mounts: spec.mounts.map((m) => ({
            Type: m.type,
            Source: m.source,
            Target: m.target,
            ReadOnly: m.readOnly,
          })),
        }
      : {}),
    ...(limits.nanoCpus === undefined ? {} : { NanoCpus: limits.nanoCpus }),
    ...(limits.memoryBytes === undefined
      ? {}
      : { Memory: limits.memoryBytes, MemorySwap: limits.memoryBytes }),
    ...(limits.shmSizeBytes === undefined ? {} : { ShmSize: limits.shmSizeBytes }),
  };
}
