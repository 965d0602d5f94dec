import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mockNode } from './mock.js';
import { indexUsage, resourceShortage } from './resources.js';
import type { PlacementRequest, UsageView } from './types.js';

const node = mockNode({ id: 'n1', capacity: { cpuMillis: 8000, memoryMiB: 16384 } });
const use = (claimId: string, cpuMillis: number, memoryMiB: number, nodeId = 'n1'): UsageView => ({
  nodeId,
  claimId,
  cpuMillis,
  memoryMiB,
});

describe('resourceShortage', () => {
  const cases: {
    name: string;
    req: Partial<PlacementRequest>;
    usage: UsageView[];
    node?: typeof node;
    want: ReturnType<typeof resourceShortage>;
  }[] = [
    {
      name: 'no limits asked: always fits',
      req: {},
      usage: [use('x', 8000, 16384)],
      want: undefined,
    },
    {
      name: 'fits an empty node',
      req: { cpuMillis: 8000, memoryMiB: 16384 },
      usage: [],
      want: undefined,
    },
    {
      name: 'memory taken by other claims',
      req: { memoryMiB: 4096 },
      usage: [use('x', 0, 14336)],
      want: { dimension: 'memory', free: 2048, total: 16384 },
    },
    {
      name: 'CPU is checked before memory',
      req: { cpuMillis: 1500, memoryMiB: 99999 },
      usage: [use('x', 7000, 0)],
      want: { dimension: 'cpu', free: 1000, total: 8000 },
    },
    {
      name: "the claim's own usage counts as free (a bound claim re-evaluated)",
      req: { memoryMiB: 16384 },
      usage: [use('c1', 0, 16384)],
      want: undefined,
    },
    {
      name: 'other nodes do not count',
      req: { memoryMiB: 16384 },
      usage: [use('x', 0, 16384, 'n2')],
      want: undefined,
    },
    {
      name: 'more than the node has in all',
      req: { memoryMiB: 20000 },
      usage: [],
      want: { dimension: 'memory', free: 16384, total: 16384 },
    },
    {
      name: 'over-committed node: free is 0, not negative',
      req: { cpuMillis: 1 },
      usage: [use('x', 9000, 0)],
      want: { dimension: 'cpu', free: 0, total: 8000 },
    },
    {
      name: 'a node without reported capacity is not checked',
      req: { memoryMiB: 1_000_000 },
      usage: [],
      node: mockNode({ id: 'n1' }),
      want: undefined,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const req: PlacementRequest = { claimId: 'c1', gpuCount: 1, ...c.req };
      assert.deepEqual(resourceShortage(c.node ?? node, req, indexUsage(c.usage)), c.want);
    });
  }
});
