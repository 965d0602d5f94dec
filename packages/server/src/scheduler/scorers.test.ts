import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GpuFit } from './capacity.js';
import { mockNode } from './mock.js';
import { BestFitScorer, FirstFitScorer, meanScore, scorersFor, type Candidate } from './scorers.js';

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
  it('maps policies to scorers', () => {
    assert.deepEqual(scorersFor('best-fit'), [BestFitScorer]);
    assert.deepEqual(scorersFor('first-fit'), [FirstFitScorer]);
  });
  it('averages scorers and is 0 without any', () => {
    assert.equal(meanScore([BestFitScorer, FirstFitScorer], candidate(1), req), 0.25);
    assert.equal(meanScore([], candidate(1), req), 0);
  });
});
