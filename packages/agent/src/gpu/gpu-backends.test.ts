import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createGpuBackend } from './create-gpu-backend.js';
import type { CommandResult, CommandRunner } from './nvidia-smi.backend.js';
import { simulatedUuid } from './simulated.backend.js';

function fixture(name: string): string {
  return readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');
}

const base = {
  simulateGpus: 0,
  simulateGpuModel: 'NVIDIA A100-SXM4-80GB',
  simulateGpuMemoryMiB: 81920,
  nvidiaSmiPath: 'nvidia-smi',
  seed: 'machine-1',
};

function runner(
  answer: (args: readonly string[]) => CommandResult,
): CommandRunner & { calls: string[][] } {
  const calls: string[][] = [];
  const run = (_file: string, args: readonly string[]): Promise<CommandResult> => {
    calls.push([...args]);
    return Promise.resolve(answer(args));
  };
  return Object.assign(run, { calls });
}

test('simulated: N identical idle GPUs with UUIDs stable per seed', async () => {
  const backend = await createGpuBackend({ ...base, simulateGpus: 3 });
  const gpus = await backend.list();
  assert.equal(backend.kind, 'simulated');
  assert.equal(backend.requestsDevices, false);
  assert.equal(gpus.length, 3);
  assert.deepEqual(
    gpus.map((g) => g.index),
    [0, 1, 2],
  );
  assert.equal(gpus[1]?.uuid, simulatedUuid('machine-1', 1));
  assert.match(
    gpus[1]?.uuid ?? '',
    /^GPU-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  );
  assert.notEqual(simulatedUuid('machine-2', 1), gpus[1]?.uuid);
  assert.equal(gpus[0]?.model, 'NVIDIA A100-SXM4-80GB');
  assert.equal(gpus[0]?.memoryTotalMiB, 81920);
  assert.equal(gpus[0]?.utilizationPercent, 0);
});

test('none: no nvidia-smi and no simulation gives zero GPUs and says why', async () => {
  const run = runner(() => ({ code: null, stdout: '', stderr: '', spawnError: 'ENOENT' }));
  const backend = await createGpuBackend({ ...base, run });
  assert.equal(backend.kind, 'none');
  assert.equal(backend.condition, 'nvidia-smi not found; no GPUs');
  assert.deepEqual(await backend.list(), []);
});

test('nvidia-smi: runs both queries with the documented flags and attaches processes', async () => {
  const run = runner((args) => {
    if (args[0] === '--version')
      return { code: 0, stdout: 'NVIDIA-SMI version  : 610.43.02\n', stderr: '' };
    if (args[0]?.startsWith('--query-gpu=')) {
      // Real 3-GPU answer, reordered columns would be a bug: the fixture has gpustat's order, so
      // rebuild it in ours from its parsed cells (values untouched).
      const lines = fixture('gpustat-3x-titan-x-query-gpu.txt').trim().split('\n');
      const ours = lines.map((l) => {
        const [index, uuid, name, temp, util, used, total] = l.split(', ');
        return [index, uuid, name, total, used, util, temp].join(', ');
      });
      return { code: 0, stdout: `${ours.join('\n')}\n`, stderr: '' };
    }
    return {
      code: 0,
      stdout: 'GPU-10fb0fbd-2696-43f3-467f-d280d906a107, 48448, python, 4000\n',
      stderr: '',
    };
  });
  const backend = await createGpuBackend({ ...base, run });
  const gpus = await backend.list();
  assert.equal(backend.kind, 'nvidia-smi');
  assert.equal(backend.requestsDevices, true);
  assert.equal(backend.condition, 'ok');
  assert.deepEqual(run.calls[1], [
    '--query-gpu=index,uuid,name,memory.total,memory.used,utilization.gpu,temperature.gpu',
    '--format=csv,noheader,nounits',
  ]);
  assert.deepEqual(run.calls[2], [
    '--query-compute-apps=gpu_uuid,pid,process_name,used_memory',
    '--format=csv,noheader,nounits',
  ]);
  assert.equal(gpus.length, 3);
  assert.equal(gpus[2]?.utilizationPercent, null);
  assert.deepEqual(gpus[0]?.processes, [{ pid: 48448, name: 'python', usedMemoryMiB: 4000 }]);
});

test('nvidia-smi with a broken driver: zero GPUs and the driver message as condition', async () => {
  const failure = fixture('nvidia-smi-driver-failure.txt');
  const run = runner((args) =>
    args[0] === '--version'
      ? { code: 0, stdout: '', stderr: '' }
      : { code: 9, stdout: failure, stderr: '' },
  );
  const backend = await createGpuBackend({ ...base, run });
  assert.deepEqual(await backend.list(), []);
  assert.match(
    backend.condition,
    /failed \(exit 9\): NVIDIA-SMI has failed because it couldn't communicate/,
  );
});
