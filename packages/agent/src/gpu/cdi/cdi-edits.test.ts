import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../test-support/temp-dir.js';
import { resolveCdiDevices } from './cdi-edits.js';
import { toDockerGpuConfig } from './cdi-docker.js';
import type { HostLinks } from './cdi-hooks.js';
import { loadCdiRegistry } from './cdi-registry.js';
import { cdiConfigForGpus, cdiDeviceNameFor } from './cdi-gpus.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

/** specDir is used to put some of the real fixtures in a fresh spec folder. */
function specDir(t: TestContext, ...files: string[]): string {
  const dir = tempDir(t, 'cdi-specs-');
  for (const f of files) copyFileSync(join(FIXTURES, f), join(dir, f));
  return dir;
}

// What ldconfig leaves on a host next to the driver library (the SONAME link).
const driverLinks: HostLinks = (dir) =>
  Promise.resolve(
    dir === '/driver-root/lib/x86_64-linux-gnu'
      ? new Map([['libcuda.so.1', 'libcuda.so.999.88.77']])
      : new Map(),
  );

test('nvidia-ctk spec: device 0 gets spec and device edits, hooks emulated or explained', async (t) => {
  const registry = await loadCdiRegistry([specDir(t, 'nvidia-ctk-generate-default.yaml')]);
  const resolved = resolveCdiDevices(registry, ['example.com/device=0']);
  assert.ok(resolved.ok);
  const docker = await toDockerGpuConfig(resolved.edits, driverLinks);
  assert.ok(docker.ok, docker.ok ? '' : docker.reason);
  const { config, hooks, notes } = docker;
  assert.deepEqual(config.devices, [
    {
      pathOnHost: '/driver-root/dev/nvidiactl',
      pathInContainer: '/dev/nvidiactl',
      permissions: 'rwm',
    },
    { pathOnHost: '/driver-root/dev/nvidia0', pathInContainer: '/dev/nvidia0', permissions: 'rwm' },
  ]);
  assert.deepEqual(config.env, [
    'NVIDIA_CTK_LIBCUDA_DIR=/lib/x86_64-linux-gnu',
    'NVIDIA_VISIBLE_DEVICES=void',
  ]);
  const lib = '/driver-root/lib/x86_64-linux-gnu/libcuda.so.999.88.77';
  assert.deepEqual(
    config.mounts.filter((m) => m.source === lib).map((m) => [m.target, m.readOnly, m.propagation]),
    [
      ['/lib/x86_64-linux-gnu/libcuda.so.999.88.77', true, 'rprivate'],
      // update-ldcache emulated: the SONAME link, then create-symlinks: the dev link.
      ['/lib/x86_64-linux-gnu/libcuda.so.1', true, 'rprivate'],
      ['/lib/x86_64-linux-gnu/libcuda.so', true, 'rprivate'],
    ],
  );
  assert.deepEqual(
    hooks.map((h) => [h.hook, h.handling]),
    [
      ['nvidia-cdi-hook create-symlinks (createContainer)', 'emulated'],
      ['nvidia-cdi-hook enable-cuda-compat (createContainer)', 'skipped'],
      ['nvidia-cdi-hook update-ldcache (createContainer)', 'emulated'],
      ['nvidia-cdi-hook disable-device-node-modification (createContainer)', 'skipped'],
      ['nvidia-cdi-hook update-application-profile (createContainer)', 'skipped'],
      ['nvidia-cdi-hook apply-cuda-memory-limits (createRuntime)', 'skipped'],
    ],
  );
  assert.ok(hooks.every((h) => h.why.length > 10));
  assert.deepEqual(notes, [
    'bind mount options not applied (Docker cannot express them): nosuid, nodev',
  ]);
});

test('without the host SONAME link, update-ldcache and the link to it are reported skipped', async (t) => {
  const registry = await loadCdiRegistry([specDir(t, 'nvidia-ctk-generate-default.yaml')]);
  const resolved = resolveCdiDevices(registry, ['example.com/device=0']);
  assert.ok(resolved.ok);
  const docker = await toDockerGpuConfig(resolved.edits, () => Promise.resolve(new Map()));
  assert.ok(docker.ok);
  const byHook = new Map(docker.hooks.map((h) => [h.hook.split(' ')[1], h]));
  assert.equal(byHook.get('update-ldcache')?.handling, 'skipped');
  assert.equal(byHook.get('create-symlinks')?.handling, 'skipped');
  assert.match(byHook.get('create-symlinks')?.why ?? '', /libcuda\.so\.1::/);
});

test('CDI JSON spec: permissions, tmpfs, spec-level node, hooks that are not NVIDIA', async (t) => {
  const registry = await loadCdiRegistry([specDir(t, 'cncf-readme-vendor.json')]);
  const resolved = resolveCdiDevices(registry, ['vendor.com/device=myDevice']);
  assert.ok(resolved.ok);
  const docker = await toDockerGpuConfig(resolved.edits);
  assert.ok(docker.ok, docker.ok ? '' : docker.reason);
  assert.deepEqual(docker.config.devices, [
    { pathOnHost: '/dev/vendorctl', pathInContainer: '/dev/vendorctl', permissions: 'rw' },
    { pathOnHost: '/vendor/dev/card1', pathInContainer: '/dev/card1', permissions: 'rw' },
    { pathOnHost: '/dev/card-render1', pathInContainer: '/dev/card-render1', permissions: 'rwm' },
  ]);
  assert.deepEqual(docker.config.env, ['FOO=VALID_SPEC', 'BAR=BARVALUE1']);
  assert.deepEqual(
    docker.config.mounts.map((m) => [m.source, m.target, m.readOnly]),
    [
      ['/bin/vendorBin', '/bin/vendorBin', false],
      ['/usr/lib/libVendor.so.0', '/usr/lib/libVendor.so.0', false],
    ],
  );
  assert.deepEqual(docker.config.tmpfs, {
    '/tmp/data': 'nosuid,strictatime,mode=755,size=65536k',
  });
  assert.deepEqual(
    docker.hooks.map((h) => [h.hook, h.handling, h.why]),
    [
      ['vendor-hook (createContainer)', 'skipped', 'the Docker Engine API cannot run OCI hooks'],
      ['ldconfig (startContainer)', 'skipped', 'the Docker Engine API cannot run OCI hooks'],
    ],
  );
  assert.ok(docker.notes.some((n) => /owner and mode of the host node/.test(n)));
});

test('CDI 1.1.0 tutorial spec: a read-only device and a read-only mount', async (t) => {
  const registry = await loadCdiRegistry([specDir(t, 'cncf-tutorial-sensor.yaml')]);
  const resolved = resolveCdiDevices(registry, ['tutorial.cdi.cncf.io/sensor=read-only']);
  assert.ok(resolved.ok);
  const docker = await toDockerGpuConfig(resolved.edits);
  assert.ok(docker.ok);
  assert.deepEqual(docker.config.devices, [
    {
      pathOnHost: '/dev/cdi-tutorial-sensor',
      pathInContainer: '/dev/cdi-tutorial-sensor',
      permissions: 'r',
    },
  ]);
  assert.deepEqual(docker.config.mounts[0], {
    source: '/opt/cdi-tutorial/device-info.txt',
    target: '/etc/sensor/device-info.txt',
    readOnly: true,
    propagation: undefined,
  });
  assert.ok(docker.config.env.includes('CDI_TUTORIAL=enabled'));
});

test('a GPU no spec covers is refused, naming the folders, the files read and those refused', async (t) => {
  const dir = specDir(
    t,
    'nvidia-ctk-generate-chmod-hook.yaml',
    'cncf-readme-vendor-annotations.bad.json',
  );
  const gpu = {
    index: 0,
    uuid: 'GPU-1',
    model: 'm',
    memoryTotalMiB: 1,
    memoryUsedMiB: null,
    utilizationPercent: null,
    temperatureC: null,
    processes: [],
  };
  const result = await cdiConfigForGpus([dir, join(dir, 'absent')], 'example.com/device', [gpu]);
  assert.equal(result.ok, false);
  if (result.ok) return;
  assert.match(
    result.reason,
    /no CDI device example\.com\/device=0 or example\.com\/device=GPU-1 for GPU 0/,
  );
  assert.ok(result.reason.includes(`in ${dir}, ${join(dir, 'absent')}`), result.reason);
  assert.ok(result.reason.includes('nvidia-ctk-generate-chmod-hook.yaml'), result.reason);
  assert.match(result.reason, /refused: .*annotations\.bad\.json: not valid JSON/);
});

test('devices are found by index, else UUID, never "all"; a later folder wins, a clash in one is refused', async (t) => {
  const low = specDir(t, 'nvidia-ctk-spec-0.8.0.yaml');
  const high = tempDir(t, 'cdi-high-');
  const clash = tempDir(t, 'cdi-clash-');
  // Constructed specs (not real ones): only the names and the folder order matter here.
  const spec = (name: string, env: string): string =>
    `cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n  - name: "${name}"\n    containerEdits:\n      env: ["${env}"]\n  - name: all\n    containerEdits:\n      env: ["ALL=1"]\n`;
  writeFileSync(join(high, 'b.yaml'), spec('one', 'FROM=high'));
  writeFileSync(join(high, 'c.yaml'), spec('GPU-abc', 'UUID=1'));
  mkdirSync(join(clash, 'sub'));
  writeFileSync(join(clash, 'a.yaml'), spec('7', 'X=1'));
  writeFileSync(join(clash, 'b.yaml'), spec('7', 'X=2'));
  const registry = await loadCdiRegistry([low, high, clash]);
  assert.equal(registry.devices.get('nvidia.com/gpu=one')?.file, join(high, 'b.yaml'));
  assert.equal(registry.devices.has('nvidia.com/gpu=7'), false);
  assert.ok(registry.problems.some((p) => /nvidia\.com\/gpu=7 is also defined/.test(p)));
  assert.equal(
    cdiDeviceNameFor(registry, 'nvidia.com/gpu', { index: 3, uuid: 'GPU-abc' }),
    'nvidia.com/gpu=GPU-abc',
  );
  assert.equal(
    cdiDeviceNameFor(registry, 'nvidia.com/gpu', { index: 9, uuid: 'GPU-x' }),
    undefined,
  );
});

test('edits Docker cannot express refuse the device, with the reason', async (t) => {
  const dir = tempDir(t, 'cdi-bad-');
  // Constructed: a device node with "none" permissions and an overlay mount.
  writeFileSync(
    join(dir, 'x.yaml'),
    'cdiVersion: 0.5.0\nkind: a.com/gpu\ndevices:\n  - name: n\n    containerEdits:\n      deviceNodes: [{path: /dev/x, permissions: none}]\n  - name: o\n    containerEdits:\n      mounts: [{hostPath: /a, containerPath: /b, type: overlay}]\n',
  );
  const registry = await loadCdiRegistry([dir]);
  for (const [name, reason] of [
    ['a.com/gpu=n', /permissions 'none' cannot be given/],
    ['a.com/gpu=o', /type 'overlay' cannot be given/],
  ] as const) {
    const resolved = resolveCdiDevices(registry, [name]);
    assert.ok(resolved.ok);
    const docker = await toDockerGpuConfig(resolved.edits);
    assert.equal(docker.ok, false);
    if (!docker.ok) assert.match(docker.reason, reason);
  }
});

test('a spec folder or file that group or others may write is not read (a spec can bind any host path)', async (t) => {
  const open = specDir(t, 'nvidia-ctk-spec-0.8.0.yaml');
  chmodSync(open, 0o777);
  const file = specDir(t, 'nvidia-ctk-spec-0.8.0.yaml');
  chmodSync(join(file, 'nvidia-ctk-spec-0.8.0.yaml'), 0o666);
  const registry = await loadCdiRegistry([open, file]);
  assert.equal(registry.devices.size, 0);
  assert.deepEqual(registry.problems, [
    `${open}: writable by group or others, not read`,
    `${join(file, 'nvidia-ctk-spec-0.8.0.yaml')}: writable by group or others, not read`,
  ]);
});
