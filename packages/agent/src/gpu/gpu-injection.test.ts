import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../test-support/temp-dir.js';
import type { GpuBackend, GpuDevice } from './gpu-backend.js';
import { createGpuInjector, type GpuInjectionSetting } from './gpu-injection.js';
import { SimulatedGpuBackend } from './simulated.backend.js';

// Constructed spec (not a real one): the shape nvidia-ctk writes, one device per index listed.
function writeSpec(dir: string, indices: number[]): void {
  const devices = indices
    .map(
      (i) =>
        `  - name: "${i}"\n    containerEdits:\n      deviceNodes:\n        - path: /dev/nvidia${i}\n          hostPath: /dev/null\n`,
    )
    .join('');
  writeFileSync(
    join(dir, 'nvidia.yaml'),
    `cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n${devices}  - name: all\n    containerEdits:\n      deviceNodes:\n        - path: /dev/nvidia-all\n          hostPath: /dev/null\ncontainerEdits:\n  env: [NVIDIA_VISIBLE_DEVICES=void, FROM_SPEC=1]\n  deviceNodes:\n    - path: /dev/nvidiactl\n      hostPath: /dev/zero\n`,
  );
}

function backend(count: number, real: boolean): GpuBackend {
  const sim = new SimulatedGpuBackend({
    count,
    model: 'NVIDIA H200',
    memoryMiB: 143771,
    seed: 's',
  });
  if (!real) return sim;
  return { kind: 'nvidia-smi', requestsDevices: true, condition: 'ok', list: () => sim.list() };
}

async function injector(setting: GpuInjectionSetting, dir: string, gpus: GpuBackend) {
  return createGpuInjector({ setting, cdiSpecDirs: [dir], backend: gpus });
}

async function devices(gpus: GpuBackend, indices: number[]): Promise<GpuDevice[]> {
  return (await gpus.list()).filter((d) => indices.includes(d.index));
}

test('auto: CDI when a spec covers every GPU, and the container gets only its own', async (t) => {
  const dir = tempDir(t, 'inject-');
  writeSpec(dir, [0, 1]);
  const gpus = backend(2, true);
  const inj = await injector('auto', dir, gpus);
  assert.equal(inj.status().mode, 'cdi');
  assert.match(inj.status().reason, /^auto: CDI spec .*nvidia\.yaml covers all 2 GPU\(s\)$/);
  const config = await inj.configFor(await devices(gpus, [1]));
  assert.ok(!('refused' in config));
  assert.deepEqual(
    config.devices.map((d) => d.pathInContainer),
    ['/dev/nvidiactl', '/dev/nvidia1'],
  );
  assert.deepEqual(config.deviceRequestIds, []);
  assert.deepEqual(config.env, ['FROM_SPEC=1', 'NVIDIA_VISIBLE_DEVICES=void', 'UTOPIA_GPU_IDS=1']);
});

test('auto: the NVIDIA runtime when a GPU has no CDI device, saying which', async (t) => {
  const dir = tempDir(t, 'inject-');
  writeSpec(dir, [0]);
  const gpus = backend(2, true);
  const inj = await injector('auto', dir, gpus);
  assert.equal(inj.status().mode, 'nvidia-runtime');
  assert.equal(inj.status().reason, `auto: no CDI device for GPU 1 in ${dir}`);
  const config = await inj.configFor(await devices(gpus, [0, 1]));
  assert.ok(!('refused' in config));
  assert.deepEqual(config.deviceRequestIds, ['0', '1']);
  assert.deepEqual(config.devices, []);
  assert.deepEqual(config.env, ['NVIDIA_VISIBLE_DEVICES=0,1', 'UTOPIA_GPU_IDS=0,1']);
});

test('auto with a broken spec names the file and why', async (t) => {
  const dir = tempDir(t, 'inject-');
  writeFileSync(join(dir, 'nvidia.json'), '{"cdiVersion": ');
  const inj = await injector('auto', dir, backend(1, true));
  assert.equal(inj.status().mode, 'nvidia-runtime');
  assert.match(inj.status().reason, /refused: .*nvidia\.json: not valid JSON/);
});

test('auto with simulated GPUs gives no device, whatever specs exist', async (t) => {
  const dir = tempDir(t, 'inject-');
  writeSpec(dir, [0]);
  const gpus = backend(1, false);
  const inj = await injector('auto', dir, gpus);
  assert.equal(inj.status().mode, 'none');
  const config = await inj.configFor(await devices(gpus, [0]));
  assert.ok(!('refused' in config));
  assert.deepEqual(config.devices, []);
  assert.deepEqual(config.env, ['NVIDIA_VISIBLE_DEVICES=0', 'UTOPIA_GPU_IDS=0']);
});

test('cdi: a GPU the spec lacks is refused; no GPU gets no spec edits and NVIDIA_VISIBLE_DEVICES=void', async (t) => {
  const dir = tempDir(t, 'inject-');
  writeSpec(dir, [0]);
  const gpus = backend(2, false);
  const inj = await injector('cdi', dir, gpus);
  assert.equal(inj.status().mode, 'cdi');
  const refused = await inj.configFor(await devices(gpus, [1]));
  assert.ok('refused' in refused);
  assert.match(refused.refused, /no CDI device nvidia\.com\/gpu=1 or nvidia\.com\/gpu=GPU-/);
  const none = await inj.configFor([]);
  assert.ok(!('refused' in none));
  assert.deepEqual(none.devices, []);
  assert.deepEqual(none.env, ['NVIDIA_VISIBLE_DEVICES=void', 'UTOPIA_GPU_IDS=']);
});

test('nvidia-runtime: DeviceRequests even when a CDI spec exists', async (t) => {
  const dir = tempDir(t, 'inject-');
  writeSpec(dir, [0]);
  const gpus = backend(1, true);
  const inj = await injector('nvidia-runtime', dir, gpus);
  assert.deepEqual(inj.status(), {
    mode: 'nvidia-runtime',
    reason: 'gpuInjection=nvidia-runtime',
    hooks: [],
  });
  const config = await inj.configFor(await devices(gpus, [0]));
  assert.ok(!('refused' in config));
  assert.deepEqual(config.deviceRequestIds, ['0']);
});
