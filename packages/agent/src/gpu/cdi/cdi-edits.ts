import type { CdiContainerEdits, CdiDeviceNode, CdiHook, CdiMount } from './cdi-spec.schema.js';
import type { CdiRegistry, CdiRegisteredDevice } from './cdi-registry.js';

/** CdiMergedEdits is used for the container edits of a set of devices, merged as CDI says. */
export interface CdiMergedEdits {
  /** The qualified device names applied, in request order. */
  devices: string[];
  specFiles: string[];
  env: string[];
  deviceNodes: CdiDeviceNode[];
  mounts: CdiMount[];
  hooks: CdiHook[];
  additionalGids: number[];
}

/** CdiResolveResult is used to hand back merged edits, or why a device cannot be given. */
export type CdiResolveResult = { ok: true; edits: CdiMergedEdits } | { ok: false; reason: string };

/**
 * resolveCdiDevices is used to look up qualified device names (nvidia.com/gpu=0) and merge their
 * edits the way the reference library does (pkg/cdi/container-edits.go): each spec's own edits
 * once, before those of its devices, then every device's edits. A later env entry for a name, or
 * a later device node or mount at a container path, replaces the earlier one.
 */
export function resolveCdiDevices(
  registry: CdiRegistry,
  names: readonly string[],
): CdiResolveResult {
  const found: CdiRegisteredDevice[] = [];
  const missing: string[] = [];
  for (const name of names) {
    const entry = registry.devices.get(name);
    if (entry) found.push(entry);
    else missing.push(name);
  }
  if (missing.length > 0) {
    return { ok: false, reason: `no CDI device ${missing.join(', ')} ${whereLooked(registry)}` };
  }
  const edits: CdiMergedEdits = {
    devices: found.map((f) => f.qualifiedName),
    specFiles: [],
    env: [],
    deviceNodes: [],
    mounts: [],
    hooks: [],
    additionalGids: [],
  };
  for (const entry of found) {
    if (!edits.specFiles.includes(entry.file)) {
      edits.specFiles.push(entry.file);
      if (entry.spec.containerEdits) apply(edits, entry.spec.containerEdits);
    }
  }
  for (const entry of found) apply(edits, entry.device.containerEdits);
  return { ok: true, edits };
}

/** whereLooked is used in refusals: which folders were read, and which files were refused. */
export function whereLooked(registry: CdiRegistry): string {
  const files = registry.specFiles.length === 0 ? 'no spec' : registry.specFiles.join(', ');
  const problems =
    registry.problems.length === 0 ? '' : `; refused: ${registry.problems.join('; ')}`;
  return `in ${registry.dirs.join(', ')} (read: ${files}${problems})`;
}

function apply(into: CdiMergedEdits, edits: CdiContainerEdits): void {
  for (const e of edits.env ?? []) {
    const key = e.slice(0, e.indexOf('='));
    into.env = into.env.filter((x) => x.slice(0, x.indexOf('=')) !== key);
    into.env.push(e);
  }
  for (const n of edits.deviceNodes ?? []) {
    into.deviceNodes = into.deviceNodes.filter((x) => x.path !== n.path);
    into.deviceNodes.push(n);
  }
  for (const m of edits.mounts ?? []) {
    into.mounts = into.mounts.filter((x) => x.containerPath !== m.containerPath);
    into.mounts.push(m);
  }
  // Every GPU device of a generated spec carries the same hooks: one of each is enough.
  for (const h of edits.hooks ?? []) {
    if (!into.hooks.some((x) => JSON.stringify(x) === JSON.stringify(h))) into.hooks.push(h);
  }
  for (const gid of edits.additionalGids ?? []) {
    if (gid !== 0 && !into.additionalGids.includes(gid)) into.additionalGids.push(gid);
  }
}
