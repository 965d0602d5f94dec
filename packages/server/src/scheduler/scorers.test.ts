import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GpuFit } from './capacity.js';
import { mockNode } from './mock.js';
import {
  BestFitScorer,
  FirstFitScorer,
  meanScore,
  scorersFor,
  VolumeAffinityScorer,
  type Candidate,
} from './scorers.js';
import type { PlacementRequest } from './types.js';

const req = { claimId: 'c1', gpuCount: 1 };
const candidate = (freeAfter: number): Candidate => {
  const fit: GpuFit = { fits: true, freeIndices: [], ownIndices: [], gpuIndices: [0], freeAfter };
  return { node: mockNode(), fit };
};

describe('BestFitScorer', () => {
  const cases = [
    { freeAfter: 0, want: 1 },
    { freeAfter: 1, want: 0.5 },
    { freeAfter: 3, want: 0.25 },
  ];
  for (const c of cases) {
    it(`scores ${c.want} with ${c.freeAfter} GPUs left`, () =>
      assert.equal(BestFitScorer.score(candidate(c.freeAfter), req), c.want));
  }

  it('stays within [-1, 1] and falls as more GPUs are left', () => {
    let previous = Infinity;
    for (let left = 0; left <= 64; left++) {
      const s = BestFitScorer.score(candidate(left), req);
      assert.ok(s <= 1 && s >= -1 && s < previous);
      previous = s;
    }
  });
});

describe('FirstFitScorer', () => {
  it('scores every node alike so node-id order decides', () => {
    assert.equal(FirstFitScorer.score(candidate(0), req), FirstFitScorer.score(candidate(7), req));
  });
});

describe('scorersFor / meanScore', () => {
  it('maps policies to scorers; volume affinity joins both', () => {
    assert.deepEqual(scorersFor('best-fit'), [BestFitScorer, VolumeAffinityScorer]);
    assert.deepEqual(scorersFor('first-fit'), [FirstFitScorer, VolumeAffinityScorer]);
  });
  it('averages scorers and is 0 without any', () => {
    assert.equal(meanScore([BestFitScorer, FirstFitScorer], candidate(1), req), 0.25);
    assert.equal(meanScore([], candidate(1), req), 0);
  });
  it('leaves out a scorer that does not apply: a claim without volumes scores as before', () => {
    assert.equal(meanScore(scorersFor('best-fit'), candidate(1), req), 0.5);
    const withVolume = { ...req, volumeNodes: { data: ['node-a'] } };
    assert.equal(meanScore(scorersFor('best-fit'), candidate(1), withVolume), 0.75);
  });
});

describe('VolumeAffinityScorer', () => {
  const on = (volumeNodes: PlacementRequest['volumeNodes']): PlacementRequest => ({
    ...req,
    ...(volumeNodes === undefined ? {} : { volumeNodes }),
  });
  const cases: { what: string; req: PlacementRequest; applies: boolean; want: number }[] = [
    { what: 'no volumes', req: on(undefined), applies: false, want: 0 },
    { what: 'volumes held nowhere yet', req: on({ data: [] }), applies: true, want: 0 },
    { what: 'the one volume here', req: on({ data: ['node-a'] }), applies: true, want: 1 },
    { what: 'elsewhere only', req: on({ data: ['node-b'] }), applies: true, want: 0 },
    {
      what: 'one of two here',
      req: on({ data: ['node-a', 'node-b'], ckpt: ['node-b'] }),
      applies: true,
      want: 0.5,
    },
  ];
  for (const c of cases) {
    it(`${c.what}: applies=${String(c.applies)}, scores ${c.want} on node-a`, () => {
      assert.equal(VolumeAffinityScorer.appliesTo?.(c.req), c.applies);
      assert.equal(VolumeAffinityScorer.score(candidate(0), c.req), c.want);
    });
  }

  it('outranks best-fit: a node holding the volume wins over the tightest fit', () => {
    const holder = meanScore(scorersFor('best-fit'), candidate(7), on({ data: ['node-a'] }));
    const tight = { node: mockNode({ id: 'node-b' }), fit: candidate(0).fit };
    const other = meanScore(scorersFor('best-fit'), tight, on({ data: ['node-a'] }));
    assert.ok(holder > other, `${holder} > ${other}`);
  });
});
