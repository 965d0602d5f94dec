import { readdir, readlink } from 'node:fs/promises';
import { basename, dirname, join, posix } from 'node:path';
import type { CdiHook } from './cdi-spec.schema.js';
import type { GpuBindMount, GpuDeviceMapping } from '../gpu-container-config.js';

/** HookHandling is used to say what became of one OCI hook of a spec. */
export const HookHandling = {
  /** Its effect is reproduced with mounts or devices Docker can express. */
  Emulated: 'emulated',
  /** Docker already does what it does. */
  NotNeeded: 'not-needed',
  /** Not run: the container goes without its effect. */
  Skipped: 'skipped',
} as const;
export type HookHandling = (typeof HookHandling)[keyof typeof HookHandling];

/** HookNote is used to report one hook on /status and in the logs. */
export interface HookNote {
  /** e.g. "nvidia-cdi-hook update-ldcache". */
  hook: string;
  handling: HookHandling;
  why: string;
}

/** HostLinks is used to list a host folder's symlinks (name → link text); tests replace it. */
export type HostLinks = (dir: string) => Promise<Map<string, string>>;

/** readHostLinks is used as the real HostLinks: unreadable folders have no links. */
export const readHostLinks: HostLinks = async (dir) => {
  const links = new Map<string, string>();
  try {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.isSymbolicLink()) links.set(entry.name, await readlink(join(dir, entry.name)));
    }
  } catch {
    // A folder that cannot be read offers no links; the hook is then reported as not emulated.
  }
  return links;
};

/** HookTargets is used for what the hooks may add to: the container's mounts and devices so far. */
export interface HookTargets {
  mounts: GpuBindMount[];
  devices: GpuDeviceMapping[];
}

/**
 * applyHooks is used because the Docker Engine API cannot run OCI hooks. The NVIDIA hooks that
 * matter for a container to find the driver are reproduced with more mounts (update-ldcache:
 * the SONAME links ldconfig would make, e.g. libcuda.so.1; create-symlinks: each link bound to
 * what it points at); the others are reported as not needed or skipped, each with why.
 */
export async function applyHooks(
  hooks: readonly CdiHook[],
  targets: HookTargets,
  hostLinks: HostLinks = readHostLinks,
): Promise<HookNote[]> {
  // ldconfig's links first: create-symlinks links often point at them (libcuda.so → libcuda.so.1).
  const order = (h: CdiHook): number => (subcommandOf(h) === 'update-ldcache' ? 0 : 1);
  const notes = new Map<CdiHook, HookNote>();
  for (const hook of [...hooks].sort((a, b) => order(a) - order(b))) {
    notes.set(hook, await applyHook(hook, targets, hostLinks));
  }
  return hooks.flatMap((h) => notes.get(h) ?? []);
}

async function applyHook(
  hook: CdiHook,
  targets: HookTargets,
  hostLinks: HostLinks,
): Promise<HookNote> {
  const { name, args } = describeHook(hook);
  const sub = isNvidiaHook(name) ? (args[0] ?? '') : '';
  const label = `${name}${sub ? ` ${sub}` : ''} (${hook.hookName})`;
  if (sub === 'update-ldcache') {
    const added = await addSonameLinks(optionValues(args, '--folder'), targets, hostLinks);
    return { hook: label, ...ldcacheNote(added) };
  }
  if (sub === 'create-symlinks')
    return { hook: label, ...addLinks(optionValues(args, '--link'), targets) };
  return { hook: label, ...otherHook(sub) };
}

function subcommandOf(hook: CdiHook): string {
  const { name, args } = describeHook(hook);
  return isNvidiaHook(name) ? (args[0] ?? '') : '';
}

function describeHook(hook: CdiHook): { name: string; args: string[] } {
  const name = basename(hook.path);
  // args[0] is the program name; `nvidia-ctk hook <sub>` was the older form of `nvidia-cdi-hook <sub>`.
  const rest = (hook.args ?? []).slice(1);
  return { name, args: name === 'nvidia-ctk' && rest[0] === 'hook' ? rest.slice(1) : rest };
}

function isNvidiaHook(name: string): boolean {
  return name === 'nvidia-cdi-hook' || name === 'nvidia-ctk';
}

function optionValues(args: readonly string[], flag: string): string[] {
  const values: string[] = [];
  args.forEach((a, i) => {
    if (a === flag && args[i + 1] !== undefined) values.push(args[i + 1] ?? '');
    else if (a.startsWith(`${flag}=`)) values.push(a.slice(flag.length + 1));
  });
  return values;
}

function ldcacheNote(added: number): Omit<HookNote, 'hook'> {
  return added > 0
    ? {
        handling: HookHandling.Emulated,
        why: `Docker cannot run ldconfig in the container: the ${added} SONAME link(s) the host has for the mounted libraries (e.g. libcuda.so.1) are mounted too; the folders are searched by the loader only if the image's ld.so.conf or LD_LIBRARY_PATH names them`,
      }
    : {
        handling: HookHandling.Skipped,
        why: 'Docker cannot run ldconfig in the container, and the host has no SONAME links for the mounted libraries to mount instead',
      };
}

async function addSonameLinks(
  folders: readonly string[],
  targets: HookTargets,
  hostLinks: HostLinks,
): Promise<number> {
  let added = 0;
  const linksByDir = new Map<string, Map<string, string>>();
  for (const m of [...targets.mounts]) {
    if (!folders.includes(posix.dirname(m.target))) continue;
    const hostDir = dirname(m.source);
    let links = linksByDir.get(hostDir);
    if (!links) {
      links = await hostLinks(hostDir);
      linksByDir.set(hostDir, links);
    }
    for (const [link, text] of links) {
      // Only the links ldconfig makes: a name in the same folder pointing at this very file.
      if (text !== basename(m.source) || !/\.so\.\d+$/.test(link)) continue;
      const target = posix.join(posix.dirname(m.target), link);
      if (targets.mounts.some((x) => x.target === target)) continue;
      targets.mounts.push({ ...m, target });
      added += 1;
    }
  }
  return added;
}

function addLinks(specs: readonly string[], targets: HookTargets): Omit<HookNote, 'hook'> {
  const missed: string[] = [];
  for (const spec of specs) {
    const [to, link] = spec.split('::');
    if (!to || !link || !link.startsWith('/')) {
      missed.push(spec);
      continue;
    }
    const resolved = posix.resolve(posix.dirname(link), to);
    const mount = targets.mounts.find((m) => m.target === resolved);
    const device = targets.devices.find((d) => d.pathInContainer === resolved);
    if (mount && !targets.mounts.some((m) => m.target === link)) {
      targets.mounts.push({ ...mount, target: link });
    } else if (device && !targets.devices.some((d) => d.pathInContainer === link)) {
      targets.devices.push({ ...device, pathInContainer: link });
    } else if (!mount && !device) {
      missed.push(spec);
    }
  }
  if (missed.length === 0) {
    return {
      handling: HookHandling.Emulated,
      why: 'Docker cannot make symlinks in the container: each link path gets the file or device it points at, bound again',
    };
  }
  return {
    handling: HookHandling.Skipped,
    why: `Docker cannot make symlinks in the container, and these point at nothing given to it: ${missed.join(', ')}`,
  };
}

function otherHook(sub: string): Omit<HookNote, 'hook'> {
  switch (sub) {
    case 'chmod':
      return {
        handling: HookHandling.NotNeeded,
        why: 'Docker creates the folders of the device nodes it adds with mode 0755 itself',
      };
    case 'disable-device-node-modification':
      return {
        handling: HookHandling.Skipped,
        why: 'the container cannot create device nodes, so the driver library trying to is harmless',
      };
    case 'enable-cuda-compat':
      return {
        handling: HookHandling.Skipped,
        why: "the image's CUDA forward-compatibility libraries, if any, are not put first; the host driver's are used",
      };
    default:
      return { handling: HookHandling.Skipped, why: 'the Docker Engine API cannot run OCI hooks' };
  }
}
