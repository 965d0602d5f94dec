import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mockGpu, mockNode, reserve } from './mock.js';
import { schedule } from './schedule.js';
import type {
  NodeView,
  PlacementRequest,
  PlacementResult,
  ReservationView,
  SchedulingPolicy,
} from './types.js';

const placedOn = (r: PlacementResult): [string, number[]] | string =>
  r.placed ? [r.nodeId, r.gpuIndices] : r.reason;

/** Places claims one after another, turning each placement into reservations, like the controller. */
function placeSequence(
  nodes: readonly NodeView[],
  sizes: readonly number[],
  policy: SchedulingPolicy,
): Array<[string, number[]] | string> {
  const reservations: ReservationView[] = [];
  return sizes.map((gpuCount, i) => {
    const claimId = `claim-${i}`;
    const result = schedule({ claimId, gpuCount }, nodes, reservations, policy);
    if (result.placed) reservations.push(...reserve(claimId, result.nodeId, result.gpuIndices));
    return placedOn(result);
  });
}

describe('schedule: policies', () => {
  const nodes = [
    mockNode({ id: 'node-1', gpuCount: 8 }),
    mockNode({ id: 'node-2', gpuCount: 4 }),
    mockNode({ id: 'node-3', gpuCount: 2 }),
  ];
  const req: PlacementRequest = { claimId: 'c1', gpuCount: 2 };

  it('first-fit takes the first node by id and its lowest indices', () => {
    assert.deepEqual(placedOn(schedule(req, nodes, [], 'first-fit')), ['node-1', [0, 1]]);
  });

  it('best-fit takes the node left with the fewest free GPUs', () => {
    assert.deepEqual(placedOn(schedule(req, nodes, [], 'best-fit')), ['node-3', [0, 1]]);
  });

  it('best-fit breaks ties by node id', () => {
    const twins = [mockNode({ id: 'b' }), mockNode({ id: 'a' })];
    assert.deepEqual(placedOn(schedule(req, twins, [], 'best-fit')), ['a', [0, 1]]);
  });

  it('best-fit counts reservations when measuring what is left', () => {
    const reservations = reserve('other', 'node-1', [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(placedOn(schedule(req, nodes, reservations, 'best-fit')), ['node-1', [6, 7]]);
  });

  it('records metrics for the chosen node', () => {
    const result = schedule(req, nodes, [], 'best-fit');
    assert.equal(result.metrics.nodesFeasible, 3);
    assert.equal(result.metrics.chosenScore, 1);
    assert.deepEqual(result.metrics.topScores, [
      { nodeId: 'node-3', score: 1 },
      { nodeId: 'node-2', score: 1 / 3 },
      { nodeId: 'node-1', score: 1 / 7 },
    ]);
  });
});

describe('schedule: fragmentation', () => {
  const nodes = [
    mockNode({ id: 'node-1', gpuCount: 4 }),
    mockNode({ id: 'node-2', gpuCount: 4 }),
    mockNode({ id: 'node-3', gpuCount: 2 }),
    mockNode({ id: 'node-4', gpuCount: 2 }),
  ];
  const sizes = [1, 1, 2, 4, 4];

  it('best-fit keeps whole nodes free so every 4-GPU claim fits', () => {
    assert.deepEqual(placeSequence(nodes, sizes, 'best-fit'), [
      ['node-3', [0]],
      ['node-3', [1]],
      ['node-4', [0, 1]],
      ['node-1', [0, 1, 2, 3]],
      ['node-2', [0, 1, 2, 3]],
    ]);
  });

  it('first-fit spreads small claims over big nodes and strands the last 4-GPU claim', () => {
    assert.deepEqual(placeSequence(nodes, sizes, 'first-fit'), [
      ['node-1', [0]],
      ['node-1', [1]],
      ['node-1', [2, 3]],
      ['node-2', [0, 1, 2, 3]],
      '0/4 nodes fit: 4 have fewer than 4 free GPUs',
    ]);
  });
});

describe('schedule: constraints', () => {
  const nodes = [
    mockNode({ id: 'off', status: 'Offline' }),
    mockNode({ id: 'reg', status: 'Registering' }),
    mockNode({ id: 'cordoned', schedulable: false }),
    mockNode({ id: 'zone-b', labels: { zone: 'b' } }),
    mockNode({ id: 'small', labels: { zone: 'a' }, gpuMemoryMiB: 24576 }),
    mockNode({ id: 'rtx', labels: { zone: 'a' }, gpuModel: 'RTX 4090', gpuMemoryMiB: 24564 }),
    mockNode({ id: 'zone-a', labels: { zone: 'a' } }),
  ];

  const cases: Array<{
    name: string;
    req: Partial<PlacementRequest>;
    want: [string, number[]] | string;
  }> = [
    { name: 'skips offline, registering and cordoned nodes', req: {}, want: ['rtx', [0]] },
    {
      name: 'honours the nodeSelector',
      req: { nodeSelector: { zone: 'b' } },
      want: ['zone-b', [0]],
    },
    { name: 'honours the GPU model', req: { gpuModel: 'rtx 4090' }, want: ['rtx', [0]] },
    { name: 'honours the GPU memory', req: { minGpuMemoryMiB: 40000 }, want: ['zone-a', [0]] },
    {
      name: 'explains a selector nobody matches',
      req: { nodeSelector: { zone: 'c' } },
      want: '0/7 nodes fit: 4 do not match nodeSelector, 1 is Offline, 1 is Registering, 1 is cordoned',
    },
    {
      name: 'explains a missing model',
      req: { gpuModel: 'H100' },
      want: '0/7 nodes fit: 4 have no GPU model "H100", 1 is Offline, 1 is Registering, 1 is cordoned',
    },
    {
      name: 'explains missing memory',
      req: { minGpuMemoryMiB: 163840 },
      want: '0/7 nodes fit: 4 have no GPU with at least 163840 MiB, 1 is Offline, 1 is Registering, 1 is cordoned',
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const req = { claimId: 'c1', gpuCount: 1, ...c.req };
      // Single-GPU claims on identical 4-GPU nodes tie under best-fit; ids decide.
      assert.deepEqual(placedOn(schedule(req, nodes, [], 'best-fit')), c.want);
    });
  }

  it('uses only GPUs of the requested model on a mixed node', () => {
    const mixed = mockNode({
      id: 'mixed',
      gpus: [mockGpu(0, { model: 'T4' }), mockGpu(1), mockGpu(2, { model: 'T4' }), mockGpu(3)],
    });
    const req = { claimId: 'c1', gpuCount: 2, gpuModel: 'T4' };
    assert.deepEqual(placedOn(schedule(req, [mixed], [], 'first-fit')), ['mixed', [0, 2]]);
  });
});

describe('schedule: golden unplaceable pipeline', () => {
  it('matches the reason and metrics exactly', () => {
    const nodes = [
      mockNode({ id: 'n1' }),
      mockNode({ id: 'n2' }),
      mockNode({ id: 'n3', gpuCount: 2 }),
      mockNode({ id: 'n4', status: 'Offline' }),
      mockNode({ id: 'n5', status: 'Offline' }),
    ];
    const reservations = [...reserve('x', 'n1', [0]), ...reserve('y', 'n2', [3])];
    const result = schedule({ claimId: 'c1', gpuCount: 4 }, nodes, reservations, 'best-fit');
    assert.deepEqual(result, {
      placed: false,
      reason: '0/5 nodes fit: 3 have fewer than 4 free GPUs, 2 are Offline',
      metrics: {
        nodesEvaluated: 5,
        nodesFiltered: 2,
        filteredByReason: { 'node offline': 2 },
        nodesExhausted: 3,
        exhaustedByDimension: { gpu: 3 },
        nodesFeasible: 0,
        chosenScore: null,
        topScores: [],
      },
    });
  });
});

describe('schedule: edge cases', () => {
  it('explains an empty cluster', () => {
    const result = schedule({ claimId: 'c1', gpuCount: 1 }, [], [], 'best-fit');
    assert.deepEqual(placedOn(result), '0/0 nodes fit: no nodes are registered');
  });

  it('explains a claim larger than any node', () => {
    const nodes = [mockNode({ id: 'a', gpuCount: 8 }), mockNode({ id: 'b', gpuCount: 4 })];
    const result = schedule({ claimId: 'c1', gpuCount: 9 }, nodes, [], 'first-fit');
    assert.equal(placedOn(result), '0/2 nodes fit: 2 have fewer than 9 free GPUs');
  });

  for (const gpuCount of [0, -1, 1.5, Number.NaN]) {
    it(`rejects gpuCount ${gpuCount} as data, not a throw`, () => {
      const result = schedule({ claimId: 'c1', gpuCount }, [mockNode()], [], 'best-fit');
      assert.equal(result.placed, false);
      assert.match(placedOn(result).toString(), /gpuCount must be a positive integer/);
    });
  }
});

describe('schedule: idempotence', () => {
  const nodes = [mockNode({ id: 'node-1', gpuCount: 2 }), mockNode({ id: 'node-2', gpuCount: 8 })];

  it("returns the claim's existing reservations over a better-scoring node", () => {
    const reservations = [...reserve('c1', 'node-2', [5, 6]), ...reserve('other', 'node-2', [0])];
    const req = { claimId: 'c1', gpuCount: 2 };
    for (const policy of ['best-fit', 'first-fit'] as const) {
      assert.deepEqual(placedOn(schedule(req, nodes, reservations, policy)), ['node-2', [5, 6]]);
    }
  });

  it('re-running a placement with its own reservations gives the same placement', () => {
    const req = { claimId: 'c1', gpuCount: 2 };
    const first = schedule(req, nodes, [], 'best-fit');
    assert.ok(first.placed);
    const again = schedule(req, nodes, reserve('c1', first.nodeId, first.gpuIndices), 'best-fit');
    assert.deepEqual(placedOn(again), placedOn(first));
  });
});

describe('schedule: CPU and memory', () => {
  const nodes = [
    mockNode({ id: 'node-1', gpuCount: 2, capacity: { cpuMillis: 4000, memoryMiB: 16384 } }),
    mockNode({ id: 'node-2', gpuCount: 2, capacity: { cpuMillis: 8000, memoryMiB: 8192 } }),
  ];
  const usage = [
    { nodeId: 'node-1', claimId: 'x', cpuMillis: 0, memoryMiB: 14336 },
    { nodeId: 'node-2', claimId: 'y', cpuMillis: 0, memoryMiB: 4096 },
  ];

  it('places where the memory fits beside the bound claims', () => {
    const req = { claimId: 'c1', gpuCount: 1, memoryMiB: 4096 };
    assert.deepEqual(placedOn(schedule(req, nodes, [], 'best-fit', usage)), ['node-2', [0]]);
  });

  it('stays unplaced with the closest miss in the reason, counted as exhausted', () => {
    const req = { claimId: 'c1', gpuCount: 1, memoryMiB: 6144 };
    const result = schedule(req, nodes, [], 'best-fit', usage);
    assert.equal(
      placedOn(result),
      '0/2 nodes fit: 2 have insufficient memory: at most 4096 free of 8192 MiB, 6144 asked',
    );
    assert.deepEqual(result.metrics.exhaustedByDimension, { memory: 2 });
  });

  it('names one node exactly, and CPU in whole CPUs', () => {
    const one = [nodes[0] ?? mockNode()];
    const req = { claimId: 'c1', gpuCount: 1, cpuMillis: 4500 };
    assert.equal(
      placedOn(schedule(req, one, [], 'best-fit', usage)),
      '0/1 nodes fit: 1 has insufficient CPU: 4 free of 4, 4.5 asked',
    );
  });

  it('GPUs come first: a node without free GPUs is exhausted on gpu, not memory', () => {
    const req = { claimId: 'c1', gpuCount: 2, memoryMiB: 99999 };
    const reservations = reserve('z', 'node-2', [0]);
    const result = schedule(req, nodes, reservations, 'best-fit', usage);
    assert.deepEqual(result.metrics.exhaustedByDimension, { memory: 1, gpu: 1 });
  });
});

describe('schedule: volume affinity', () => {
  const nodes = [mockNode({ id: 'node-1', gpuCount: 8 }), mockNode({ id: 'node-2', gpuCount: 1 })];

  it('prefers the node holding the named volume over the best fit', () => {
    const req = { claimId: 'c1', gpuCount: 1, volumeNodes: { data: ['node-1'] } };
    assert.deepEqual(placedOn(schedule(req, nodes, [], 'best-fit')), ['node-1', [0]]);
    assert.deepEqual(placedOn(schedule(req, nodes, [], 'first-fit')), ['node-1', [0]]);
  });

  it('is only a preference: a full holder leaves the claim to another node', () => {
    const req = { claimId: 'c1', gpuCount: 1, volumeNodes: { data: ['node-2'] } };
    const full = reserve('other', 'node-2', [0]);
    assert.deepEqual(placedOn(schedule(req, nodes, full, 'best-fit')), ['node-1', [0]]);
  });

  it('a volume held nowhere changes nothing', () => {
    const req = { claimId: 'c1', gpuCount: 1, volumeNodes: { data: [] } };
    assert.deepEqual(placedOn(schedule(req, nodes, [], 'best-fit')), ['node-2', [0]]);
  });
});
