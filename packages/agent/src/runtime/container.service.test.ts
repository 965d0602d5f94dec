import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GpuBackend, GpuDevice } from '../gpu/gpu-backend.js';
import { SimulatedGpuBackend } from '../gpu/simulated.backend.js';
import { createGpuInjector } from '../gpu/gpu-injection.js';
import { tempDir } from '../test-support/temp-dir.js';
import { silentLogger } from '../logger.js';
import { FakeRuntime } from '../test-support/fake-runtime.js';
import { AgentError } from '../agent-error.js';
import { RuntimeError } from './container-runtime.js';
import { ContainerService } from './container.service.js';

/** A "real GPU" backend: same devices as the simulation, but containers must get DeviceRequests. */
function realGpus(count: number, seed = 's'): GpuBackend {
  const sim = new SimulatedGpuBackend({ count, model: 'NVIDIA H100', memoryMiB: 81559, seed });
  return {
    kind: 'nvidia-smi',
    requestsDevices: true,
    condition: 'ok',
    list: (): Promise<GpuDevice[]> => sim.list(),
  };
}

function service(
  runtime: FakeRuntime,
  gpus: GpuBackend = realGpus(4),
  nodeId = 'node-7',
): ContainerService {
  return new ContainerService({
    runtime,
    gpus,
    networkMode: 'bridge',
    nodeId: () => nodeId,
    logger: silentLogger(),
  });
}

async function rejectsWith(
  p: Promise<unknown>,
  reason: string,
  status: number,
): Promise<AgentError> {
  let caught: unknown;
  await p.catch((err: unknown) => {
    caught = err;
  });
  assert.ok(caught instanceof AgentError, `expected AgentError, got ${String(caught)}`);
  assert.equal(caught.reason, reason);
  assert.equal(caught.statusCode, status);
  return caught;
}

test('real GPUs: the exact server-chosen ids go to Docker DeviceRequests and the environment', async () => {
  const rt = new FakeRuntime();
  const res = await service(rt).create({ claim_id: 'c1', image: 'img:1', gpu_ids: [3, 1] });
  assert.deepEqual(res, { containerId: 'c1', created: true });
  const spec = rt.created[0];
  assert.deepEqual(spec?.gpuDeviceIds, ['1', '3']);
  assert.ok(spec?.env.includes('NVIDIA_VISIBLE_DEVICES=1,3'));
  assert.equal(spec?.labels['utopia.node_id'], 'node-7');
  assert.equal(rt.containers.get('c1')?.state.status, 'running');
});

test('no GPUs asked: no device request and NVIDIA_VISIBLE_DEVICES=void (CUDA images default to all)', async () => {
  const rt = new FakeRuntime();
  await service(rt).create({
    claim_id: 'c0',
    image: 'img:1',
    env_vars: ['NVIDIA_VISIBLE_DEVICES=all', 'UTOPIA_CLAIM_ID=forged'],
  });
  assert.deepEqual(rt.created[0]?.gpuDeviceIds, []);
  assert.deepEqual(rt.created[0]?.env, [
    'NVIDIA_VISIBLE_DEVICES=void',
    'UTOPIA_GPU_IDS=',
    'UTOPIA_CLAIM_ID=c0',
  ]);
});

test('gpu_count (original protocol) takes the lowest free indices; too many is 409', async () => {
  const rt = new FakeRuntime();
  const svc = service(rt);
  await svc.create({ claim_id: 'a', image: 'img:1', gpu_ids: [0] });
  await svc.create({ claim_id: 'b', image: 'img:1', gpu_count: 2 });
  assert.equal(rt.created[1]?.labels['utopia.gpu_ids'], '1,2');
  await rejectsWith(
    svc.create({ claim_id: 'c', image: 'img:1', gpu_count: 2 }),
    'GPU_UNAVAILABLE',
    409,
  );
  await rejectsWith(
    svc.create({ claim_id: 'd', image: 'img:1', gpu_count: 1, gpu_ids: [1, 2] }),
    'VALIDATION_FAILED',
    400,
  );
});

test('an exited container no longer holds its GPUs', async () => {
  const rt = new FakeRuntime();
  const svc = service(rt);
  const first = await svc.create({ claim_id: 'a', image: 'img:1', gpu_ids: [0] });
  rt.exit(first.containerId, 1);
  const second = await svc.create({ claim_id: 'b', image: 'img:1', gpu_ids: [0] });
  assert.equal(second.created, true);
  const info = await svc.get('claim:a');
  assert.deepEqual([info?.status, info?.exit_code, info?.finished], ['exited', 1, 3]);
});

test('while an image is pulled, the claim is listed with status "pulling"', async () => {
  const rt = new FakeRuntime();
  let release!: () => void;
  rt.pullGate = new Promise((resolve) => {
    release = resolve;
  });
  const svc = service(rt);
  const pending = svc.create({ claim_id: 'p', image: 'img:2' });
  await new Promise((r) => setTimeout(r, 10));
  const during = await svc.list();
  assert.deepEqual(
    during.map((c) => [c.claim_id, c.status, c.image]),
    [['p', 'pulling', 'img:2']],
  );
  release();
  await pending;
  assert.deepEqual(
    (await svc.list()).map((c) => c.status),
    ['running'],
  );
});

test('a failed pull is permanent and names the image', async () => {
  const rt = new FakeRuntime();
  rt.pullError = new RuntimeError('image-pull', 'manifest unknown');
  const err = await rejectsWith(
    service(rt).create({ claim_id: 'x', image: 'nope:1' }),
    'IMAGE_NOT_FOUND',
    422,
  );
  assert.equal(err.permanent, true);
  assert.match(err.message, /image nope:1 could not be pulled: manifest unknown/);
});

test('a container that cannot start is removed, so it holds no GPU', async () => {
  const rt = new FakeRuntime();
  rt.startError = new RuntimeError('rejected', 'could not select device driver "nvidia"');
  const err = await rejectsWith(
    service(rt).create({ claim_id: 's', image: 'img:1', gpu_ids: [0] }),
    'CONTAINER_CREATE_FAILED',
    422,
  );
  assert.match(err.message, /could not select device driver/);
  assert.equal(rt.containers.size, 0);
});

test('Docker down: 503 DOCKER_UNAVAILABLE, transient', async () => {
  const rt = new FakeRuntime();
  rt.down = true;
  const err = await rejectsWith(service(rt).list(), 'DOCKER_UNAVAILABLE', 503);
  assert.equal(err.permanent, false);
});

test('simulated GPUs never produce a device request', async () => {
  const rt = new FakeRuntime();
  const sim = new SimulatedGpuBackend({ count: 2, model: 'm', memoryMiB: 1, seed: 's' });
  await service(rt, sim).create({ claim_id: 'c', image: 'img:1', gpu_ids: [1] });
  assert.deepEqual(rt.created[0]?.gpuDeviceIds, []);
  assert.ok(rt.created[0]?.env.includes('UTOPIA_GPU_IDS=1'));
});

test('two nodes on one Docker Engine: each sees only its own containers and GPU ledger', async () => {
  const rt = new FakeRuntime();
  const a = service(rt, realGpus(2, 'machine-a'), 'node-a');
  const b = service(rt, realGpus(2, 'machine-b'), 'node-b');
  await a.create({ claim_id: 'ca', image: 'img:1', gpu_ids: [0] });
  await b.create({ claim_id: 'cb', image: 'img:1', gpu_ids: [0] });
  assert.deepEqual(
    (await a.list()).map((c) => c.claim_id),
    ['ca'],
  );
  assert.deepEqual(
    (await b.list()).map((c) => c.claim_id),
    ['cb'],
  );
  assert.equal(await b.get('claim:ca'), undefined);
  assert.equal(await b.get('c1'), undefined);
  await b.remove('c1'); // not b's: left alone
  assert.equal(rt.containers.size, 2);
});

test('a claim moved to another node on the same Docker gets a node-suffixed name, not a failure', async () => {
  const rt = new FakeRuntime();
  const a = service(rt, realGpus(2, 'machine-a'), 'node-a');
  const b = service(rt, realGpus(2, 'machine-b'), 'node-b');
  await a.create({ claim_id: 'moved', image: 'img:1', gpu_ids: [0] });
  const res = await b.create({ claim_id: 'moved', image: 'img:1', gpu_ids: [0] });
  assert.equal(res.created, true);
  assert.deepEqual(
    rt.created.map((c) => c.name),
    ['utopia-claim-moved', 'utopia-claim-moved-node-b'],
  );
  // Idempotent afterwards too.
  assert.deepEqual(await b.create({ claim_id: 'moved', image: 'img:1', gpu_ids: [0] }), {
    containerId: res.containerId,
    created: false,
  });
});

test('GPUs held by containers of other node ids: by UUID, and by index when a container has no UUIDs', async () => {
  const rt = new FakeRuntime();
  const old = service(rt, realGpus(4, 'machine-a'), 'node-old');
  const rejoined = service(rt, realGpus(4, 'machine-a'), 'node-new');
  const neighbour = service(rt, realGpus(4, 'machine-b'), 'node-b');
  await old.create({ claim_id: 'held', image: 'img:1', gpu_ids: [0] });
  // A container of the original agent (or an older Utopia agent): no UUIDs, another node id.
  rt.containers.set('legacy', {
    id: 'legacy',
    name: 'utopia-claim-legacy',
    image: 'img:1',
    labels: {
      'utopia.managed': 'true',
      'utopia.claim_id': 'legacy',
      'utopia.gpu_ids': '3',
      'utopia.node_id': 'x',
    },
    created: 1,
    state: { status: 'running', exitCode: null, startedAt: 1, finishedAt: null, error: null },
    ports: {},
    env: [],
  });
  assert.deepEqual([...(await rejoined.usedGpus()).entries()].sort(), [
    [0, 'held of node node-old'],
    [3, 'legacy of node x'],
  ]);
  assert.deepEqual([...(await neighbour.usedGpus()).keys()], [3]);
  await rejectsWith(
    rejoined.create({ claim_id: 'again', image: 'img:1', gpu_ids: [0] }),
    'GPU_UNAVAILABLE',
    409,
  );
  assert.equal(
    (await neighbour.create({ claim_id: 'n', image: 'img:1', gpu_ids: [0] })).created,
    true,
  );
  // Listing and removal still keep to each node's own containers.
  assert.deepEqual(await rejoined.list(), []);
  assert.deepEqual(await rejoined.removeAll(), []);
  assert.equal(rt.containers.size, 3);
});

test('a container created but never started (its start was lost) is started by the retry', async () => {
  const rt = new FakeRuntime();
  const svc = service(rt);
  rt.startError = new RuntimeError('unavailable', 'Docker Engine unreachable: socket hang up');
  await rejectsWith(
    svc.create({ claim_id: 'lost', image: 'img:1', gpu_ids: [0] }),
    'DOCKER_UNAVAILABLE',
    503,
  );
  // The failed start removed it; had the removal been lost too, the retry finds it "created".
  const id = await rt.create({
    name: 'utopia-claim-lost',
    image: 'img:1',
    labels: {
      'utopia.managed': 'true',
      'utopia.claim_id': 'lost',
      'utopia.gpu_ids': '0',
      'utopia.node_id': 'node-7',
    },
    env: [],
    command: undefined,
    workingDir: undefined,
    networkMode: 'none',
    ports: [],
    gpuDeviceIds: [],
    mounts: [],
    limits: { nanoCpus: undefined, memoryBytes: undefined, shmSizeBytes: undefined },
  });
  rt.startError = undefined;
  assert.deepEqual(await svc.create({ claim_id: 'lost', image: 'img:1', gpu_ids: [0] }), {
    containerId: id,
    created: false,
  });
  assert.equal(rt.containers.get(id)?.state.status, 'running');
});

test('CDI mode: the spec edits reach the create spec, the GPU env wins, an uncovered GPU is 409', async (t) => {
  const dir = tempDir(t, 'svc-cdi-');
  // Constructed spec (not a real one): device 0 only, harmless host nodes.
  writeFileSync(
    join(dir, 'gpu.yaml'),
    'cdiVersion: 0.5.0\nkind: nvidia.com/gpu\ndevices:\n  - name: "0"\n    containerEdits:\n      deviceNodes: [{path: /dev/nvidia0, hostPath: /dev/null}]\n      mounts: [{hostPath: /etc/hostname, containerPath: /drv/lib.so, options: [ro]}]\ncontainerEdits:\n  env: [LIBDIR=/drv]\n',
  );
  const gpus = realGpus(2);
  const rt = new FakeRuntime();
  const svc = new ContainerService({
    runtime: rt,
    gpus,
    injector: await createGpuInjector({ setting: 'cdi', cdiSpecDirs: [dir], backend: gpus }),
    networkMode: 'bridge',
    nodeId: () => 'node-7',
    logger: silentLogger(),
  });
  await svc.create({
    claim_id: 'c1',
    image: 'img:1',
    gpu_ids: [0],
    env_vars: ['LIBDIR=/mine', 'KEEP=1', 'NVIDIA_VISIBLE_DEVICES=all'],
  });
  const spec = rt.created[0];
  assert.deepEqual(spec?.gpuDeviceIds, []);
  assert.deepEqual(spec?.gpuHost?.devices, [
    { pathOnHost: '/dev/null', pathInContainer: '/dev/nvidia0', permissions: 'rwm' },
  ]);
  assert.deepEqual(
    spec?.gpuHost?.mounts.map((m) => [m.source, m.target, m.readOnly]),
    [['/etc/hostname', '/drv/lib.so', true]],
  );
  assert.deepEqual(spec?.env, [
    'KEEP=1',
    'LIBDIR=/drv',
    'NVIDIA_VISIBLE_DEVICES=void',
    'UTOPIA_GPU_IDS=0',
    'UTOPIA_CLAIM_ID=c1',
  ]);
  const err = await rejectsWith(
    svc.create({ claim_id: 'c2', image: 'img:1', gpu_ids: [1] }),
    'GPU_UNAVAILABLE',
    409,
  );
  assert.match(err.message, /no CDI device nvidia\.com\/gpu=1/);
  assert.equal(rt.created.length, 1);
});
