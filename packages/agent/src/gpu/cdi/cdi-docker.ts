import type { CdiDeviceNode, CdiMount } from './cdi-spec.schema.js';
import type { CdiMergedEdits } from './cdi-edits.js';
import { applyHooks, readHostLinks, type HookNote, type HostLinks } from './cdi-hooks.js';
import {
  emptyGpuConfig,
  type GpuBindMount,
  type GpuContainerConfig,
  type GpuDeviceMapping,
} from '../gpu-container-config.js';

/** CdiDockerResult is used to hand back the Docker pieces of CDI edits, or why they cannot be. */
export type CdiDockerResult =
  | { ok: true; config: GpuContainerConfig; hooks: HookNote[]; notes: string[] }
  | { ok: false; reason: string };

const PROPAGATION = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] as const;
type Propagation = (typeof PROPAGATION)[number];
// Options Docker's bind mounts cannot take through the Engine API (HostConfig.Mounts has only
// read-only and propagation; its binds are always recursive, so `bind` counts as `rbind`): they
// only narrow what the container may do with the files.
const UNEXPRESSED = new Set(['nosuid', 'nodev', 'noexec', 'relatime', 'strictatime', 'noatime']);

/**
 * toDockerGpuConfig is used to turn merged CDI edits into what the Docker Engine API can express
 * for a container: device nodes → HostConfig.Devices, bind mounts → HostConfig.Mounts, tmpfs
 * mounts → HostConfig.Tmpfs, additionalGids → GroupAdd, env → Env. What it cannot express
 * exactly is named in `notes`; what it cannot express at all refuses the whole set.
 */
export async function toDockerGpuConfig(
  edits: CdiMergedEdits,
  hostLinks: HostLinks = readHostLinks,
): Promise<CdiDockerResult> {
  const config = emptyGpuConfig([...edits.env]);
  const notes = new Set<string>();
  for (const node of edits.deviceNodes) {
    const device = toDevice(node, notes);
    if (typeof device === 'string') return { ok: false, reason: device };
    config.devices.push(device);
  }
  for (const mount of edits.mounts) {
    if (mount.type === 'tmpfs') {
      config.tmpfs[mount.containerPath] = (mount.options ?? []).join(',');
      continue;
    }
    const bind = toBind(mount, notes);
    if (typeof bind === 'string') return { ok: false, reason: bind };
    config.mounts.push(bind);
  }
  config.groupAdd = edits.additionalGids.map(String);
  const hooks = await applyHooks(edits.hooks, config, hostLinks);
  return { ok: true, config, hooks, notes: [...notes] };
}

function toDevice(node: CdiDeviceNode, notes: Set<string>): GpuDeviceMapping | string {
  const permissions =
    node.permissions === undefined || node.permissions === '' ? 'rwm' : node.permissions;
  if (!/^(?!.*(.).*\1)[rwm]{1,3}$/.test(permissions)) {
    return `device node ${node.path}: permissions '${permissions}' cannot be given through Docker (it needs some of r, w, m)`;
  }
  if (node.uid !== undefined || node.gid !== undefined || node.fileMode !== undefined) {
    notes.add('device nodes keep the owner and mode of the host node (Docker copies them)');
  }
  return { pathOnHost: node.hostPath ?? node.path, pathInContainer: node.path, permissions };
}

function toBind(mount: CdiMount, notes: Set<string>): GpuBindMount | string {
  if (mount.type !== undefined && mount.type !== '' && mount.type !== 'bind') {
    return `mount at ${mount.containerPath}: type '${mount.type}' cannot be given through Docker (bind and tmpfs can)`;
  }
  if (!mount.hostPath.startsWith('/')) {
    return `mount at ${mount.containerPath}: hostPath '${mount.hostPath}' is not absolute`;
  }
  const options = mount.options ?? [];
  const dropped = options.filter((o) => UNEXPRESSED.has(o));
  if (dropped.length > 0) {
    notes.add(
      `bind mount options not applied (Docker cannot express them): ${[...new Set(dropped)].join(', ')}`,
    );
  }
  const propagation = options.find((o): o is Propagation => PROPAGATION.some((p) => p === o));
  return {
    source: mount.hostPath,
    target: mount.containerPath,
    readOnly: options.includes('ro'),
    propagation,
  };
}
