import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { createFakeClock } from './queue-fake-clock.js';
import { isPermanentError, processQueue, type ReconcileResult } from './queue-process.js';
import { createWorkQueue, type WorkQueue } from './queue.js';

interface Deferred {
  promise: Promise<ReconcileResult>;
  resolve: (value: ReconcileResult) => void;
}

function deferred(): Deferred {
  let resolve: (value: ReconcileResult) => void = () => undefined;
  const promise = new Promise<ReconcileResult>((r) => (resolve = r));
  return { promise, resolve };
}

/** Wraps a queue and records the calls the worker makes, in order. */
function recording(queue: WorkQueue): { queue: WorkQueue; calls: string[] } {
  const calls: string[] = [];
  const wrapped: WorkQueue = {
    ...queue,
    add: (k) => queue.add(k),
    get: () => queue.get(),
    len: () => queue.len(),
    shutDown: () => queue.shutDown(),
    isShuttingDown: () => queue.isShuttingDown(),
    numRequeues: (k) => queue.numRequeues(k),
    addAfter: (k, ms) => (calls.push(`addAfter ${k} ${ms}`), queue.addAfter(k, ms)),
    addRateLimited: (k) => (calls.push(`addRateLimited ${k}`), queue.addRateLimited(k)),
    forget: (k) => (calls.push(`forget ${k}`), queue.forget(k)),
    done: (k) => (calls.push(`done ${k}`), queue.done(k)),
  };
  return { queue: wrapped, calls };
}

const noError = (): void => undefined;

describe('processQueue: concurrency', () => {
  it('never runs more than `concurrency` reconciles at once', async () => {
    const queue = createWorkQueue({ clock: createFakeClock() });
    const pending: Deferred[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const finished: string[] = [];
    const running = processQueue(
      queue,
      3,
      async (key) => {
        inFlight += 1;
        maxInFlight = Math.max(maxInFlight, inFlight);
        const d = deferred();
        pending.push(d);
        await d.promise;
        inFlight -= 1;
        finished.push(key);
        return {};
      },
      noError,
    );
    for (let i = 0; i < 10; i++) queue.add(`k${i}`);
    // 1. Release reconciles one at a time; each release lets exactly one more start.
    for (let released = 0; released < 10; released++) {
      await tick();
      assert.ok(inFlight <= 3);
      pending.shift()?.resolve({});
    }
    await tick();
    assert.equal(maxInFlight, 3);
    assert.equal(finished.length, 10);
    // 2. Shutdown ends the workers.
    queue.shutDown();
    await running;
  });

  it('runs a key re-added during its reconcile again afterwards, never concurrently', async () => {
    const queue = createWorkQueue({ clock: createFakeClock() });
    const gate = deferred();
    let runs = 0;
    let concurrent = 0;
    const running = processQueue(
      queue,
      4,
      async () => {
        runs += 1;
        concurrent += 1;
        assert.equal(concurrent, 1);
        if (runs === 1) await gate.promise;
        concurrent -= 1;
        return {};
      },
      noError,
    );
    queue.add('a');
    await tick();
    queue.add('a');
    queue.add('a');
    await tick();
    assert.equal(runs, 1);
    gate.resolve({});
    await tick();
    await tick();
    assert.equal(runs, 2);
    queue.shutDown();
    await running;
  });

  it('rejects a concurrency below one', async () => {
    const queue = createWorkQueue({ clock: createFakeClock() });
    await assert.rejects(
      processQueue(queue, 0, async () => ({}), noError),
      RangeError,
    );
  });
});

describe('processQueue: outcome contract', () => {
  const permanent = Object.assign(new Error('bad image'), { permanent: true });
  const cases: Array<{
    name: string;
    outcome: () => Promise<ReconcileResult>;
    calls: string[];
    retry?: boolean;
  }> = [
    {
      name: 'success forgets the backoff',
      outcome: async () => ({}),
      calls: ['forget k', 'done k'],
    },
    {
      name: 'a requested poll forgets, then adds after the delay',
      outcome: async () => ({ requeueAfterMs: 250 }),
      calls: ['forget k', 'addAfter k 250', 'done k'],
    },
    {
      name: 'a failure retries with backoff',
      outcome: () => Promise.reject(new Error('agent unreachable')),
      calls: ['addRateLimited k', 'done k'],
      retry: true,
    },
    {
      name: 'a permanent failure is forgotten, not retried',
      outcome: () => Promise.reject(permanent),
      calls: ['forget k', 'done k'],
      retry: false,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const { queue, calls } = recording(createWorkQueue({ clock: createFakeClock() }));
      const errors: boolean[] = [];
      const running = processQueue(queue, 1, c.outcome, (_k, _e, retry) => errors.push(retry));
      queue.add('k');
      await tick();
      queue.shutDown();
      await running;
      assert.deepEqual(calls, c.calls);
      assert.deepEqual(errors, c.retry === undefined ? [] : [c.retry]);
    });
  }

  it('brings a failed key back after its backoff, and a polled key after its delay', async () => {
    const clock = createFakeClock();
    const queue = createWorkQueue({ clock });
    const seen: string[] = [];
    const running = processQueue(
      queue,
      2,
      async (key) => {
        seen.push(`${key}@${clock.now()}`);
        if (key === 'fail') throw new Error('transient');
        return key === 'poll' && clock.now() === 0 ? { requeueAfterMs: 30 } : {};
      },
      noError,
    );
    queue.add('fail');
    queue.add('poll');
    for (let t = 0; t < 40; t++) {
      await tick();
      clock.advance(1);
    }
    queue.shutDown();
    await running;
    // Backoff 5, 10, 20 ms: "fail" runs at 0, 5, 15 and 35; "poll" once more at 30.
    assert.deepEqual(
      seen.filter((s) => s.startsWith('fail')),
      ['fail@0', 'fail@5', 'fail@15', 'fail@35'],
    );
    assert.deepEqual(
      seen.filter((s) => s.startsWith('poll')),
      ['poll@0', 'poll@30'],
    );
  });

  it('keeps the worker alive when the error hook throws', async () => {
    const queue = createWorkQueue({ clock: createFakeClock() });
    let runs = 0;
    const running = processQueue(
      queue,
      1,
      async () => {
        runs += 1;
        throw Object.assign(new Error('x'), { permanent: true });
      },
      () => {
        throw new Error('logger broke');
      },
    );
    queue.add('a');
    await tick();
    queue.add('b');
    await tick();
    assert.equal(runs, 2);
    queue.shutDown();
    await running;
  });
});

describe('isPermanentError', () => {
  const cases: Array<[string, unknown, boolean]> = [
    ['an Error with permanent: true', Object.assign(new Error('x'), { permanent: true }), true],
    ['a plain object with permanent: true', { permanent: true }, true],
    ['a truthy non-boolean permanent', { permanent: 'yes' }, false],
    ['a plain Error', new Error('x'), false],
    ['null', null, false],
    ['a string', 'permanent', false],
  ];
  for (const [name, error, want] of cases) {
    it(`${name} → ${want}`, () => assert.equal(isPermanentError(error), want));
  }
});
