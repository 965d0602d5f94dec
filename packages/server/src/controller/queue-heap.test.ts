import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DelayHeap } from './queue-heap.js';

describe('DelayHeap', () => {
  it('pops by due time, equal times first-in first-out', () => {
    const heap = new DelayHeap();
    const dues = [50, 10, 30, 10, 90, 0, 30, 70, 20, 10];
    dues.forEach((due, i) => heap.push(`k${i}`, due));
    const popped: string[] = [];
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) popped.push(`${e.key}@${e.due}`);
    assert.deepEqual(popped, [
      'k5@0',
      'k1@10',
      'k3@10',
      'k9@10',
      'k8@20',
      'k2@30',
      'k6@30',
      'k0@50',
      'k7@70',
      'k4@90',
    ]);
  });

  it('keeps order over many random pushes', () => {
    const heap = new DelayHeap();
    let x = 7;
    for (let i = 0; i < 500; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      heap.push(String(i), x % 1000);
    }
    let previous = -1;
    for (let e = heap.pop(); e !== undefined; e = heap.pop()) {
      assert.ok(e.due >= previous);
      previous = e.due;
    }
    assert.equal(heap.size, 0);
  });
});
