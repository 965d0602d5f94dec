// A claim's storage and limits as Docker needs them: host paths checked against allowedHostPaths,
// named volumes created (or found) under the owner's name, limits turned into bytes and nano-CPUs.
import { dockerVolumeName, type AgentCreateContainerRequest } from '@utopia/shared';
import { agentErrors } from '../agent-error.js';
import type { ContainerLimits, ContainerMount, ContainerRuntime } from './container-runtime.js';
import { resolveHostBind, type AllowedHostPath } from './host-paths.js';

/** VolumeLabels is used to mark, and later find and check, the volumes the agent creates. */
export const VolumeLabels = {
  Managed: 'utopia.managed',
  Owner: 'utopia.volume.owner',
  Name: 'utopia.volume.name',
} as const;

const MIB = 1024 * 1024;

/** containerLimits is used to turn a request's limits into Docker's units. */
export function containerLimits(req: AgentCreateContainerRequest): ContainerLimits {
  return {
    // Thousandths of a CPU, as the server counts them, so Docker and the scheduler agree.
    nanoCpus: req.cpus === undefined ? undefined : Math.round(req.cpus * 1000) * 1_000_000,
    memoryBytes: req.memory_mib === undefined ? undefined : req.memory_mib * MIB,
    shmSizeBytes: req.shm_size_mib === undefined ? undefined : req.shm_size_mib * MIB,
  };
}

function checkDistinctTargets(req: AgentCreateContainerRequest): void {
  const targets = [
    ...(req.named_volumes ?? []).map((v) => v.mount_path),
    ...(req.host_paths ?? []).map((h) => h.mount_path),
  ];
  const twice = targets.find((t, i) => targets.indexOf(t) !== i);
  if (twice !== undefined) throw agentErrors.validation(`two mounts at ${twice}`);
}

/**
 * prepareMounts is used before the container is created. Host paths are all checked first, so a
 * refused claim creates no volume; then each named volume is created, or, when it exists, used
 * only if it carries this owner's labels (a volume of that name made by hand is not ours).
 */
export async function prepareMounts(
  runtime: ContainerRuntime,
  req: AgentCreateContainerRequest,
  allowed: readonly AllowedHostPath[],
): Promise<ContainerMount[]> {
  checkDistinctTargets(req);
  const mounts: ContainerMount[] = [];
  for (const h of req.host_paths ?? []) {
    const bind = await resolveHostBind(
      { path: h.path, mountPath: h.mount_path, readOnly: h.read_only ?? false },
      allowed,
    );
    mounts.push({ type: 'bind', ...bind });
  }
  for (const v of req.named_volumes ?? []) {
    const name = dockerVolumeName(v.owner, v.name);
    const found = await runtime.inspectVolume(name);
    if (found === undefined) {
      await runtime.createVolume(name, {
        [VolumeLabels.Managed]: 'true',
        [VolumeLabels.Owner]: v.owner,
        [VolumeLabels.Name]: v.name,
      });
    } else if (
      found.labels[VolumeLabels.Managed] !== 'true' ||
      found.labels[VolumeLabels.Owner] !== v.owner
    ) {
      throw agentErrors.createFailed(`Docker volume ${name} exists but was not made by Utopia`);
    }
    mounts.push({ type: 'volume', source: name, target: v.mount_path, readOnly: !!v.read_only });
  }
  return mounts;
}
