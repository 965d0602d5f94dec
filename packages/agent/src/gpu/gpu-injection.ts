import type { GpuBackend, GpuDevice } from './gpu-backend.js';
import { emptyGpuConfig, type GpuContainerConfig } from './gpu-container-config.js';
import { cdiConfigForGpus, NVIDIA_GPU_KIND, uncoveredGpus } from './cdi/cdi-gpus.js';
import type { HookNote, HostLinks } from './cdi/cdi-hooks.js';
import { loadCdiRegistry } from './cdi/cdi-registry.js';

/** GpuInjectionSetting is used for the agent setting `gpuInjection`. */
export const GPU_INJECTION_SETTINGS = ['auto', 'nvidia-runtime', 'cdi'] as const;
export type GpuInjectionSetting = (typeof GPU_INJECTION_SETTINGS)[number];

/** GpuInjectionMode is used to say how containers get their GPUs; `none` gives no device. */
export const GpuInjectionMode = {
  NvidiaRuntime: 'nvidia-runtime',
  Cdi: 'cdi',
  None: 'none',
} as const;
export type GpuInjectionMode = (typeof GpuInjectionMode)[keyof typeof GpuInjectionMode];

/** GpuInjectionStatus is used on /status: the mode, why, and what became of the spec's hooks. */
export interface GpuInjectionStatus {
  mode: GpuInjectionMode;
  reason: string;
  hooks: HookNote[];
}

/** GpuInjectorOptions is used to choose the mode at start. */
export interface GpuInjectorOptions {
  setting: GpuInjectionSetting;
  cdiSpecDirs: readonly string[];
  backend: GpuBackend;
  /** Test seam for the host's symlinks (update-ldcache emulation). */
  hostLinks?: HostLinks;
}

/** GpuInjector is used by the container service to get the GPU pieces of one container. */
export interface GpuInjector {
  status(): GpuInjectionStatus;
  /** configFor is used with the container's GPUs (none: a container without GPUs). */
  configFor(gpus: readonly GpuDevice[]): Promise<GpuContainerConfig | { refused: string }>;
}

/**
 * createGpuInjector is used once at start to settle the mode. `auto` takes CDI when a spec
 * covers every GPU of the node, else the NVIDIA runtime. Simulated GPUs get no device unless
 * `cdi` is asked for (tests and dry runs point it at harmless device nodes).
 */
export async function createGpuInjector(opts: GpuInjectorOptions): Promise<GpuInjector> {
  const devices = await opts.backend.list();
  const chosen = await chooseMode(opts, devices);
  const state: GpuInjectionStatus = { ...chosen, hooks: [] };
  if (state.mode === GpuInjectionMode.Cdi && devices.length > 0) {
    // Hooks are reported from the whole node's devices, before any container asks.
    const all = await cdiConfigForGpus(opts.cdiSpecDirs, NVIDIA_GPU_KIND, devices, opts.hostLinks);
    if (all.ok) state.hooks = all.hooks;
  }
  return {
    status: () => ({ ...state, hooks: [...state.hooks] }),
    configFor: (gpus) => configFor(state, opts, gpus),
  };
}

async function chooseMode(
  opts: GpuInjectorOptions,
  devices: readonly GpuDevice[],
): Promise<{ mode: GpuInjectionMode; reason: string }> {
  const dirs = opts.cdiSpecDirs.join(', ');
  if (opts.setting === 'cdi') {
    return { mode: GpuInjectionMode.Cdi, reason: `gpuInjection=cdi (specs from ${dirs})` };
  }
  if (!opts.backend.requestsDevices) {
    return {
      mode: GpuInjectionMode.None,
      reason: `${opts.backend.kind} GPUs (${opts.backend.condition}): containers get the GPU environment only, no device`,
    };
  }
  if (opts.setting === 'nvidia-runtime') {
    return { mode: GpuInjectionMode.NvidiaRuntime, reason: 'gpuInjection=nvidia-runtime' };
  }
  const registry = await loadCdiRegistry(opts.cdiSpecDirs);
  const missing = uncoveredGpus(registry, NVIDIA_GPU_KIND, devices);
  if (devices.length > 0 && missing.length === 0) {
    return {
      mode: GpuInjectionMode.Cdi,
      reason: `auto: CDI spec ${registry.specFiles.join(', ')} covers all ${devices.length} GPU(s)`,
    };
  }
  const why =
    devices.length === 0
      ? 'no GPUs found'
      : `no CDI device for GPU ${missing.map((g) => g.index).join(', ')} in ${dirs}`;
  const problems = registry.problems.length > 0 ? `; refused: ${registry.problems.join('; ')}` : '';
  return { mode: GpuInjectionMode.NvidiaRuntime, reason: `auto: ${why}${problems}` };
}

async function configFor(
  state: GpuInjectionStatus,
  opts: GpuInjectorOptions,
  gpus: readonly GpuDevice[],
): Promise<GpuContainerConfig | { refused: string }> {
  const ids = gpus.map((g) => g.index).join(',');
  const utopia = `UTOPIA_GPU_IDS=${ids}`;
  if (state.mode === GpuInjectionMode.None) {
    // The GPU environment a real container would see, for demos and tests.
    return emptyGpuConfig([`NVIDIA_VISIBLE_DEVICES=${ids === '' ? 'void' : ids}`, utopia]);
  }
  if (state.mode === GpuInjectionMode.NvidiaRuntime) {
    const config = emptyGpuConfig([`NVIDIA_VISIBLE_DEVICES=${ids === '' ? 'void' : ids}`, utopia]);
    config.deviceRequestIds = gpus.map((g) => String(g.index));
    return config;
  }
  // CDI: the container gets its devices from the spec; "void" keeps an NVIDIA runtime, should
  // Docker have one as default, from adding any GPU on its own (CUDA images say "all").
  if (gpus.length === 0) return emptyGpuConfig(['NVIDIA_VISIBLE_DEVICES=void', utopia]);
  const cdi = await cdiConfigForGpus(opts.cdiSpecDirs, NVIDIA_GPU_KIND, gpus, opts.hostLinks);
  if (!cdi.ok) return { refused: cdi.reason };
  cdi.config.env = [
    ...cdi.config.env.filter((e) => !e.startsWith('NVIDIA_VISIBLE_DEVICES=')),
    'NVIDIA_VISIBLE_DEVICES=void',
    utopia,
  ];
  return cdi.config;
}

/**
 * legacyGpuInjector is used where no mode was chosen (embedders, unit tests): the behaviour
 * before CDI, DeviceRequests for real GPUs and the environment alone for simulated ones.
 */
export function legacyGpuInjector(backend: GpuBackend): GpuInjector {
  const state: GpuInjectionStatus = backend.requestsDevices
    ? { mode: GpuInjectionMode.NvidiaRuntime, reason: 'default', hooks: [] }
    : { mode: GpuInjectionMode.None, reason: `${backend.kind} GPUs: no device`, hooks: [] };
  const opts: GpuInjectorOptions = { setting: 'auto', cdiSpecDirs: [], backend };
  return { status: () => state, configFor: (gpus) => configFor(state, opts, gpus) };
}
