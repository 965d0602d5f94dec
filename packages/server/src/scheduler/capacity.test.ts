import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fitGpus, freeGpuIndices, indexReservations, largestNodeGpuCount } from './capacity.js';
import { mockGpu, mockNode, reserve } from './mock.js';
import type { PlacementRequest } from './types.js';

describe('freeGpuIndices', () => {
  const node = mockNode({ id: 'n1', gpuCount: 4 });
  const cases = [
    { name: 'all free', reservations: [], claimId: undefined, want: [0, 1, 2, 3] },
    {
      name: 'reserved are skipped',
      reservations: reserve('c1', 'n1', [1, 3]),
      claimId: undefined,
      want: [0, 2],
    },
    {
      name: 'other nodes do not count',
      reservations: reserve('c1', 'n2', [0, 1]),
      claimId: undefined,
      want: [0, 1, 2, 3],
    },
    {
      name: "the claim's own GPUs are free for it",
      reservations: reserve('c1', 'n1', [1]),
      claimId: 'c1',
      want: [0, 1, 2, 3],
    },
    {
      name: "another claim's GPUs stay taken",
      reservations: reserve('c2', 'n1', [1]),
      claimId: 'c1',
      want: [0, 2, 3],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(freeGpuIndices(node, c.reservations, c.claimId), c.want));
  }

  it('sorts indices whatever the inventory order', () => {
    const shuffled = mockNode({ gpus: [mockGpu(2), mockGpu(0), mockGpu(1)] });
    assert.deepEqual(freeGpuIndices(shuffled, []), [0, 1, 2]);
  });
});

describe('largestNodeGpuCount', () => {
  it('is 0 without nodes', () => assert.equal(largestNodeGpuCount([]), 0));
  it('is the biggest inventory', () => {
    const nodes = [mockNode({ gpuCount: 2 }), mockNode({ gpuCount: 8 }), mockNode({ gpuCount: 0 })];
    assert.equal(largestNodeGpuCount(nodes), 8);
  });
});

describe('fitGpus', () => {
  const req: PlacementRequest = { claimId: 'c1', gpuCount: 2 };

  it('takes the lowest free indices', () => {
    const fit = fitGpus(mockNode({ id: 'n1' }), req, indexReservations(reserve('x', 'n1', [0])));
    assert.deepEqual(fit, {
      fits: true,
      freeIndices: [1, 2, 3],
      ownIndices: [],
      gpuIndices: [1, 2],
      freeAfter: 1,
    });
  });

  it("prefers the claim's own GPUs over lower free ones", () => {
    const fit = fitGpus(mockNode({ id: 'n1' }), req, indexReservations(reserve('c1', 'n1', [3])));
    assert.deepEqual(fit.gpuIndices, [0, 3]);
    assert.deepEqual(fit.ownIndices, [3]);
  });

  it('only uses GPUs that meet the model constraint, but counts every free GPU as left over', () => {
    const node = mockNode({
      id: 'n1',
      gpus: [
        mockGpu(0, { model: 'small' }),
        mockGpu(1),
        mockGpu(2, { model: 'small' }),
        mockGpu(3),
      ],
    });
    const fit = fitGpus(node, { ...req, gpuModel: 'small' }, indexReservations([]));
    assert.deepEqual(fit.gpuIndices, [0, 2]);
    assert.equal(fit.freeAfter, 2);
  });

  it('does not fit when too few GPUs are free', () => {
    const fit = fitGpus(
      mockNode({ id: 'n1' }),
      { ...req, gpuCount: 3 },
      indexReservations(reserve('x', 'n1', [0, 1])),
    );
    assert.equal(fit.fits, false);
    assert.deepEqual(fit.gpuIndices, []);
  });
});
