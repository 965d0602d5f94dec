import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  GpuMemoryFilter,
  GpuModelFilter,
  NodeSelectorFilter,
  NodeStatusFilter,
  SchedulableFilter,
  type Filter,
  type FilterResult,
} from './filters.js';
import { mockGpu, mockNode, type MockNodeOptions } from './mock.js';
import { FilterReason } from './reasons.js';
import type { PlacementRequest } from './types.js';

interface FilterCase {
  name: string;
  node: MockNodeOptions;
  req?: Partial<PlacementRequest>;
  want: FilterResult;
}

const OK: FilterResult = { ok: true };
const no = (reason: FilterReason): FilterResult => ({ ok: false, reason });

function runTable(filter: Filter, cases: readonly FilterCase[]): void {
  describe(filter.name, () => {
    for (const c of cases) {
      it(c.name, () => {
        const req: PlacementRequest = { claimId: 'c1', gpuCount: 1, ...c.req };
        assert.deepEqual(filter.check(mockNode(c.node), req), c.want);
      });
    }
  });
}

runTable(NodeStatusFilter, [
  { name: 'Online passes', node: { status: 'Online' }, want: OK },
  { name: 'Offline is rejected', node: { status: 'Offline' }, want: no(FilterReason.Offline) },
  {
    name: 'Registering is rejected',
    node: { status: 'Registering' },
    want: no(FilterReason.Registering),
  },
]);

runTable(SchedulableFilter, [
  { name: 'schedulable passes', node: { schedulable: true }, want: OK },
  { name: 'cordoned is rejected', node: { schedulable: false }, want: no(FilterReason.Cordoned) },
]);

const labels = { zone: 'a', 'gpu.tier': 'prod' };
runTable(NodeSelectorFilter, [
  { name: 'no selector passes', node: { labels }, want: OK },
  { name: 'empty selector passes', node: { labels }, req: { nodeSelector: {} }, want: OK },
  { name: 'subset matches', node: { labels }, req: { nodeSelector: { zone: 'a' } }, want: OK },
  { name: 'all labels match', node: { labels }, req: { nodeSelector: labels }, want: OK },
  {
    name: 'wrong value is rejected',
    node: { labels },
    req: { nodeSelector: { zone: 'b' } },
    want: no(FilterReason.NodeSelectorMismatch),
  },
  {
    name: 'missing key is rejected',
    node: { labels },
    req: { nodeSelector: { rack: '1' } },
    want: no(FilterReason.NodeSelectorMismatch),
  },
  {
    name: 'inherited object keys are not labels',
    node: { labels: {} },
    req: { nodeSelector: { toString: 'x' } },
    want: no(FilterReason.NodeSelectorMismatch),
  },
]);

const mixedGpus = [
  mockGpu(0, { model: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920 }),
  mockGpu(1, { model: 'NVIDIA GeForce RTX 4090', memoryTotalMiB: 24564 }),
];
runTable(GpuModelFilter, [
  { name: 'no model passes', node: {}, want: OK },
  {
    name: 'exact model passes',
    node: { gpus: mixedGpus },
    req: { gpuModel: 'NVIDIA GeForce RTX 4090' },
    want: OK,
  },
  {
    name: 'model is case-insensitive',
    node: { gpus: mixedGpus },
    req: { gpuModel: 'nvidia geforce rtx 4090' },
    want: OK,
  },
  {
    name: 'a substring is not the model',
    node: { gpus: mixedGpus },
    req: { gpuModel: 'A100' },
    want: no(FilterReason.MissingGpuModel),
  },
  {
    name: 'a node without GPUs is rejected',
    node: { gpus: [] },
    req: { gpuModel: 'NVIDIA H100' },
    want: no(FilterReason.MissingGpuModel),
  },
]);

runTable(GpuMemoryFilter, [
  { name: 'no minimum passes', node: { gpuMemoryMiB: 1 }, want: OK },
  {
    name: 'exactly the minimum passes',
    node: { gpuMemoryMiB: 24564 },
    req: { minGpuMemoryMiB: 24564 },
    want: OK,
  },
  {
    name: 'too little memory is rejected',
    node: { gpuMemoryMiB: 24563 },
    req: { minGpuMemoryMiB: 24564 },
    want: no(FilterReason.InsufficientGpuMemory),
  },
  {
    name: 'one big GPU is enough',
    node: { gpus: mixedGpus },
    req: { minGpuMemoryMiB: 40000 },
    want: OK,
  },
  {
    name: 'a big GPU of another model does not count',
    node: { gpus: mixedGpus },
    req: { gpuModel: 'NVIDIA GeForce RTX 4090', minGpuMemoryMiB: 40000 },
    want: no(FilterReason.InsufficientGpuMemory),
  },
]);
