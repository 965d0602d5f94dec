import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  NvidiaSmiParseError,
  parseQueryCsv,
  readNumber,
  toGpuDevices,
  toProcessesByUuid,
} from './nvidia-smi.parser.js';

// Real outputs; see packages/agent/test/fixtures/SOURCES.md.
function fixture(name: string): string {
  return readFileSync(new URL(`../../test/fixtures/${name}`, import.meta.url), 'utf8');
}

const GPUSTAT_FIELDS = [
  'index',
  'uuid',
  'name',
  'temperature.gpu',
  'utilization.gpu',
  'memory.used',
  'memory.total',
];

test('3-GPU box (csv,noheader,nounits): every GPU, [Not Supported] utilisation is null', () => {
  const devices = toGpuDevices(
    parseQueryCsv(fixture('gpustat-3x-titan-x-query-gpu.txt'), GPUSTAT_FIELDS),
  );
  assert.equal(devices.length, 3);
  assert.deepEqual(devices[0], {
    index: 0,
    uuid: 'GPU-10fb0fbd-2696-43f3-467f-d280d906a107',
    model: 'GeForce GTX TITAN X',
    memoryTotalMiB: 12287,
    memoryUsedMiB: 8000,
    utilizationPercent: 76,
    temperatureC: 80,
    processes: [],
  });
  assert.deepEqual(
    devices.map((d) => d.index),
    [0, 1, 2],
  );
  assert.equal(devices[2]?.utilizationPercent, null);
  assert.equal(devices[2]?.memoryUsedMiB, 8520);
});

test('compute apps: grouped by GPU UUID, [Not Supported] pid and memory are null', () => {
  const byUuid = toProcessesByUuid(
    parseQueryCsv(fixture('gpustat-3x-titan-x-compute-apps.txt'), [
      'gpu_uuid',
      'pid',
      'used_memory',
    ]),
  );
  assert.equal(byUuid.size, 3);
  assert.deepEqual(byUuid.get('GPU-10fb0fbd-2696-43f3-467f-d280d906a107'), [
    { pid: 48448, name: null, usedMemoryMiB: 4000 },
    { pid: 153223, name: null, usedMemoryMiB: 4000 },
  ]);
  assert.deepEqual(byUuid.get('GPU-50205d95-57b6-f541-2bcb-86c09afed564')?.[1], {
    pid: null,
    name: null,
    usedMemoryMiB: null,
  });
});

test('H200 capture with header and units (--format=csv): columns found by name', () => {
  const rows = parseQueryCsv(fixture('nvidia-smi-h200-query-gpu-csv.txt'));
  assert.equal(rows.length, 1);
  assert.equal(Object.keys(rows[0] ?? {}).length, 241);
  const [gpu] = toGpuDevices(rows);
  assert.deepEqual(gpu, {
    index: 0,
    uuid: 'GPU-00000000-0000-0000-0000-000000000000',
    model: 'NVIDIA H200',
    memoryTotalMiB: 143771,
    memoryUsedMiB: 0,
    utilizationPercent: 0,
    temperatureC: 38,
    processes: [],
  });
  // The odd cells of a real capture: bracketed N/A, deprecation notes, bare N/A, empty.
  assert.equal(rows[0]?.['power.draw'], '83.38 W');
  assert.equal(readNumber(rows[0]?.['power.draw']), 83.38);
  assert.equal(readNumber(rows[0]?.['fan.speed']), null);
  assert.equal(readNumber(rows[0]?.display_mode), null);
  assert.equal(readNumber(rows[0]?.['fabric.health.summary']), null);
  assert.equal(readNumber(rows[0]?.hostname), null);
});

test('H200 idle compute apps: a header and no process', () => {
  const rows = parseQueryCsv(fixture('nvidia-smi-h200-compute-apps-csv-idle.txt'));
  assert.deepEqual(rows, []);
});

test('older driver prints N/A without brackets; gpu_uuid alias maps to uuid', () => {
  const fields =
    'power.limit,power.min_limit,power.max_limit,memory.total,vbios_version,driver_version,name,gpu_uuid,power.draw,temperature.gpu,temperature.memory,clocks.current.graphics,clocks.sm,clocks.mem,utilization.gpu,utilization.memory,fan.speed,pcie.link.width.current,pstate'.split(
      ',',
    );
  const [row] = parseQueryCsv(fixture('gpu-utils-rtx-2080-query-gpu.txt'), fields);
  assert.equal(row?.uuid, 'GPU-22b2c6ac-2d49-4863-197c-9c469071178a');
  assert.equal(row?.name, 'GeForce RTX 2080');
  assert.equal(readNumber(row?.['memory.total']), 7979);
  assert.equal(readNumber(row?.['temperature.gpu']), 45);
  assert.equal(readNumber(row?.['temperature.memory']), null);
  assert.equal(readNumber(row?.['utilization.gpu']), 86);
});

test('the driver-failure message is not taken for CSV', () => {
  assert.throws(
    () => parseQueryCsv(fixture('nvidia-smi-driver-failure.txt'), ['index', 'uuid', 'name']),
    NvidiaSmiParseError,
  );
});

test('a name holding a comma is folded back into the name field', () => {
  const rows = parseQueryCsv('0, GPU-1, Vendor, Model X, 100\n', [
    'index',
    'uuid',
    'name',
    'memory.total',
  ]);
  assert.equal(rows[0]?.name, 'Vendor, Model X');
  assert.equal(rows[0]?.['memory.total'], '100');
});
