import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { createFakeClock, type FakeClock } from './queue-fake-clock.js';
import { createWorkQueue, type WorkQueue } from './queue.js';
import { createExponentialBackoffRateLimiter } from './rate-limiter.js';

function setup(): { clock: FakeClock; queue: WorkQueue } {
  const clock = createFakeClock();
  return { clock, queue: createWorkQueue({ clock }) };
}

/** Takes every ready key, marking each processing (and done, unless `keep`). */
async function drain(queue: WorkQueue, keep = false): Promise<string[]> {
  const keys: string[] = [];
  while (queue.len() > 0) {
    const key = await queue.get();
    if (key === undefined) break;
    keys.push(key);
    if (!keep) queue.done(key);
  }
  return keys;
}

describe('WorkQueue: add and dedupe', () => {
  it('queues each key once, in first-add order', async () => {
    const { queue } = setup();
    for (const key of ['a', 'b', 'a', 'c', 'b']) queue.add(key);
    assert.equal(queue.len(), 3);
    assert.deepEqual(await drain(queue), ['a', 'b', 'c']);
  });

  it('can queue a key again once it was taken', async () => {
    const { queue } = setup();
    queue.add('a');
    assert.deepEqual(await drain(queue), ['a']);
    queue.add('a');
    assert.deepEqual(await drain(queue), ['a']);
  });
});

describe('WorkQueue: a key never runs on two workers', () => {
  it('re-queues a key added while processing exactly once, on done()', async () => {
    const { queue } = setup();
    queue.add('a');
    // 1. A worker takes "a"; adds during processing only mark it dirty.
    assert.equal(await queue.get(), 'a');
    queue.add('a');
    queue.add('a');
    assert.equal(queue.len(), 0);
    // 2. A second worker waits: "a" is not handed out while it runs.
    let second: string | undefined;
    void queue.get().then((key) => (second = key));
    await tick();
    assert.equal(second, undefined);
    // 3. done() releases it to the waiting worker, once.
    queue.done('a');
    await tick();
    assert.equal(second, 'a');
    queue.done('a');
    assert.equal(queue.len(), 0);
  });

  it('does not re-queue a key that was not added while processing', async () => {
    const { queue } = setup();
    queue.add('a');
    await drain(queue);
    assert.equal(queue.len(), 0);
  });

  it('wakes waiting workers in order as keys arrive', async () => {
    const { queue } = setup();
    const got: Array<string | undefined> = [];
    const waiters = [queue.get(), queue.get()].map((p) => p.then((k) => got.push(k)));
    queue.add('x');
    queue.add('y');
    await Promise.all(waiters);
    assert.deepEqual(got, ['x', 'y']);
  });
});

describe('WorkQueue: addAfter', () => {
  it('releases keys when due, earliest first', async () => {
    const { clock, queue } = setup();
    queue.addAfter('late', 100);
    queue.addAfter('early', 50);
    clock.advance(49);
    assert.equal(queue.len(), 0);
    clock.advance(1);
    assert.deepEqual(await drain(queue), ['early']);
    clock.advance(50);
    assert.deepEqual(await drain(queue), ['late']);
  });

  it('keeps the earlier due time when a key is added twice (either order)', async () => {
    for (const [first, second] of [
      [100, 10],
      [10, 100],
    ] as const) {
      const { clock, queue } = setup();
      queue.addAfter('a', first);
      queue.addAfter('a', second);
      clock.advance(10);
      assert.deepEqual(await drain(queue), ['a']);
      clock.advance(1000);
      assert.equal(queue.len(), 0, `${first} then ${second}: fired twice`);
    }
  });

  it('arms one timer for all delayed keys', () => {
    const { clock, queue } = setup();
    for (let i = 0; i < 50; i++) queue.addAfter(`k${i}`, 1000 - i);
    assert.equal(clock.pendingTimers(), 1);
    clock.advance(1000);
    assert.equal(queue.len(), 50);
    assert.equal(clock.pendingTimers(), 0);
  });

  it('treats zero, negative and NaN delays as now', () => {
    const { queue } = setup();
    queue.addAfter('zero', 0);
    queue.addAfter('negative', -5);
    queue.addAfter('nan', Number.NaN);
    assert.equal(queue.len(), 3);
  });

  it('dedupes a delayed key that comes due while it is already queued', async () => {
    const { clock, queue } = setup();
    queue.add('a');
    queue.addAfter('a', 10);
    clock.advance(10);
    assert.deepEqual(await drain(queue), ['a']);
  });
});

describe('WorkQueue: addRateLimited and forget', () => {
  it('backs off 5, 10, 20 ms per key, capped, and forget() resets', async () => {
    const clock = createFakeClock();
    const rateLimiter = createExponentialBackoffRateLimiter({ baseDelayMs: 5, maxDelayMs: 20 });
    const queue = createWorkQueue({ clock, rateLimiter });
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      queue.addRateLimited('a');
      const start = clock.now();
      while (queue.len() === 0) clock.advance(1);
      waits.push(clock.now() - start);
      await drain(queue);
    }
    assert.deepEqual(waits, [5, 10, 20, 20]);
    assert.equal(queue.numRequeues('a'), 4);
    queue.forget('a');
    assert.equal(queue.numRequeues('a'), 0);
    queue.addRateLimited('a');
    clock.advance(5);
    assert.equal(queue.len(), 1);
  });

  it('paces a burst of failures through the global token bucket', () => {
    const { clock, queue } = setup();
    // 1. 300 distinct keys fail at once: the burst passes at the per-key 5 ms.
    for (let i = 0; i < 310; i++) queue.addRateLimited(`k${i}`);
    clock.advance(5);
    assert.equal(queue.len(), 300);
    // 2. The other ten come one per 20 ms slot (50/s).
    clock.advance(15);
    assert.equal(queue.len(), 301);
    clock.advance(180);
    assert.equal(queue.len(), 310);
  });
});

describe('WorkQueue: shutDown', () => {
  it('releases every waiter with undefined and refuses new work', async () => {
    const { clock, queue } = setup();
    queue.addAfter('later', 10);
    const waiters = [queue.get(), queue.get()];
    queue.shutDown();
    assert.deepEqual(await Promise.all(waiters), [undefined, undefined]);
    assert.equal(queue.isShuttingDown(), true);
    assert.equal(clock.pendingTimers(), 0);
    queue.add('a');
    queue.addAfter('b', 1);
    clock.advance(100);
    assert.equal(queue.len(), 0);
    assert.equal(await queue.get(), undefined);
  });

  it('lets a worker finish its key after shutdown without re-queueing it', async () => {
    const { queue } = setup();
    queue.add('a');
    assert.equal(await queue.get(), 'a');
    queue.add('a');
    queue.shutDown();
    queue.done('a');
    assert.equal(queue.len(), 0);
  });
});
