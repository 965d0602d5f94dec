// The free-GPU index's two orders on a hand-made cluster: best-fit's (fewest free, then id) and
// first-fit's (id), both only over nodes with enough free GPUs of the model asked for.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FreeGpuIndex } from './free-gpu-index.js';

function index(): FreeGpuIndex {
  const ix = new FreeGpuIndex();
  ix.set('n3', { models: ['H100'], free: 1 });
  ix.set('n1', { models: ['H100'], free: 4 });
  ix.set('n4', { models: ['A100', 'H100'], free: 2 });
  ix.set('n2', { models: ['A100'], free: 8 });
  ix.set('n5', { models: ['H100'], free: 0 }); // full: not listed
  return ix;
}

test('candidates and candidatesById list the same nodes in their policy order', () => {
  const ix = index();
  const cases: [string | undefined, number, string[], string[]][] = [
    [undefined, 1, ['n3', 'n4', 'n1', 'n2'], ['n1', 'n2', 'n3', 'n4']],
    [undefined, 2, ['n4', 'n1', 'n2'], ['n1', 'n2', 'n4']],
    ['h100', 2, ['n4', 'n1'], ['n1', 'n4']],
    ['A100', 3, ['n2'], ['n2']],
    ['T4', 1, [], []],
    [undefined, 9, [], []],
  ];
  for (const [model, min, bestFit, byId] of cases) {
    assert.deepEqual([...ix.candidates(model, min)], bestFit, `best-fit ${model} ≥${min}`);
    assert.deepEqual([...ix.candidatesById(model, min)], byId, `by id ${model} ≥${min}`);
  }
});

test('a node that changes its free count moves; one removed is gone from both orders', () => {
  const ix = index();
  ix.set('n3', { models: ['H100'], free: 6 });
  ix.remove('n1');
  assert.deepEqual([...ix.candidates(undefined, 2)], ['n4', 'n3', 'n2']);
  assert.deepEqual([...ix.candidatesById(undefined, 2)], ['n2', 'n3', 'n4']);
});
