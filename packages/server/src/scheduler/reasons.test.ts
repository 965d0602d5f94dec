import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ExhaustedDimension,
  FilterReason,
  NO_NODES_REASON,
  formatUnplacedReason,
} from './reasons.js';
import { emptyMetrics } from './stack.js';
import type { PlacementMetrics, PlacementRequest } from './types.js';

function metricsWith(
  nodesEvaluated: number,
  filtered: PlacementMetrics['filteredByReason'],
  exhausted = 0,
): PlacementMetrics {
  return {
    ...emptyMetrics(nodesEvaluated),
    filteredByReason: filtered,
    exhaustedByDimension: exhausted > 0 ? { [ExhaustedDimension.Gpu]: exhausted } : {},
  };
}

const req: PlacementRequest = {
  claimId: 'c1',
  gpuCount: 4,
  gpuModel: 'NVIDIA H100 80GB HBM3',
  minGpuMemoryMiB: 40960,
};

describe('formatUnplacedReason', () => {
  const cases = [
    {
      name: 'largest count first',
      metrics: metricsWith(5, { [FilterReason.Offline]: 2 }, 3),
      want: '0/5 nodes fit: 3 have fewer than 4 free GPUs, 2 are Offline',
    },
    {
      name: 'every reason, ties in pipeline order',
      metrics: metricsWith(
        12,
        {
          [FilterReason.Offline]: 2,
          [FilterReason.Registering]: 2,
          [FilterReason.Cordoned]: 2,
          [FilterReason.NodeSelectorMismatch]: 2,
          [FilterReason.MissingGpuModel]: 2,
          [FilterReason.InsufficientGpuMemory]: 1,
        },
        1,
      ),
      want:
        '0/12 nodes fit: 2 are Offline, 2 are Registering, 2 are cordoned, ' +
        '2 do not match nodeSelector, 2 have no GPU model "NVIDIA H100 80GB HBM3", ' +
        '1 has no GPU with at least 40960 MiB, 1 has fewer than 4 free GPUs',
    },
    {
      name: 'singular verbs for one node',
      metrics: metricsWith(3, {
        [FilterReason.Offline]: 1,
        [FilterReason.Cordoned]: 1,
        [FilterReason.NodeSelectorMismatch]: 1,
      }),
      want: '0/3 nodes fit: 1 is Offline, 1 is cordoned, 1 does not match nodeSelector',
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(formatUnplacedReason(req, c.metrics), c.want));
  }

  it('says "no free GPU" for a one-GPU claim', () => {
    const one = { ...req, gpuCount: 1 };
    assert.equal(
      formatUnplacedReason(one, metricsWith(2, {}, 2)),
      '0/2 nodes fit: 2 have no free GPU',
    );
  });

  it('explains an empty cluster', () => {
    assert.equal(formatUnplacedReason(req, emptyMetrics(0)), NO_NODES_REASON);
    assert.equal(NO_NODES_REASON, '0/0 nodes fit: no nodes are registered');
  });
});
