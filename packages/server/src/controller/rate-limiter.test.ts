import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeClock } from './queue-fake-clock.js';
import {
  DEFAULT_RATE_LIMITS,
  createDefaultControllerRateLimiter,
  createExponentialBackoffRateLimiter,
  createMaxOfRateLimiter,
  createTokenBucketRateLimiter,
} from './rate-limiter.js';

describe('exponential backoff', () => {
  it('doubles per failure from the base and caps at the max', () => {
    const limiter = createExponentialBackoffRateLimiter({ baseDelayMs: 5, maxDelayMs: 100 });
    const delays = Array.from({ length: 7 }, () => limiter.when('a'));
    assert.deepEqual(delays, [5, 10, 20, 40, 80, 100, 100]);
    assert.equal(limiter.numRequeues('a'), 7);
  });

  it('keeps keys apart and forget() resets one key', () => {
    const limiter = createExponentialBackoffRateLimiter({ baseDelayMs: 5, maxDelayMs: 100 });
    limiter.when('a');
    limiter.when('a');
    assert.equal(limiter.when('b'), 5);
    limiter.forget('a');
    assert.equal(limiter.numRequeues('a'), 0);
    assert.equal(limiter.when('a'), 5);
    assert.equal(limiter.when('b'), 10);
  });

  it('stays capped after very many failures', () => {
    const limiter = createExponentialBackoffRateLimiter(DEFAULT_RATE_LIMITS);
    for (let i = 0; i < 2000; i++) limiter.when('a');
    assert.equal(limiter.when('a'), 1_000_000);
  });
});

describe('token bucket', () => {
  it('lets a burst through, then paces at qps, and refills over time', () => {
    const clock = createFakeClock();
    const bucket = createTokenBucketRateLimiter({ qps: 50, burst: 3 }, clock);
    const burst = ['a', 'b', 'c', 'd', 'e'].map((k) => bucket.when(k));
    // 1. Three tokens, then each retry waits one more 20 ms slot (1000 ms / 50).
    assert.deepEqual(burst, [0, 0, 0, 20, 40]);
    // 2. After a second the bucket is full again (the borrowed tokens are repaid first).
    clock.advance(1000);
    assert.deepEqual(
      [1, 2, 3, 4].map((i) => bucket.when(`x${i}`)),
      [0, 0, 0, 20],
    );
  });

  it('never forgets or counts keys', () => {
    const bucket = createTokenBucketRateLimiter({ qps: 1, burst: 1 }, createFakeClock());
    bucket.when('a');
    bucket.forget('a');
    assert.equal(bucket.numRequeues('a'), 0);
  });
});

describe('max-of and the default controller limiter', () => {
  it('takes the longest delay and forgets in every limiter', () => {
    const clock = createFakeClock();
    const limiter = createMaxOfRateLimiter(
      createExponentialBackoffRateLimiter({ baseDelayMs: 5, maxDelayMs: 1000 }),
      createTokenBucketRateLimiter({ qps: 10, burst: 2 }, clock),
    );
    // 1. Within the burst, the per-key backoff decides; after it, the bucket's 100 ms slots do.
    assert.deepEqual([limiter.when('a'), limiter.when('a'), limiter.when('b')], [5, 10, 100]);
    assert.equal(limiter.numRequeues('a'), 2);
    limiter.forget('a');
    assert.equal(limiter.numRequeues('a'), 0);
  });

  it('uses 5 ms doubling per key and 50/s burst 300 overall by default', () => {
    const limiter = createDefaultControllerRateLimiter(createFakeClock());
    assert.deepEqual([limiter.when('a'), limiter.when('a'), limiter.when('a')], [5, 10, 20]);
    for (let i = 0; i < 297; i++) limiter.when(`k${i}`);
    // 300 tokens are spent: the next distinct key waits one 20 ms slot despite its 5 ms backoff.
    assert.equal(limiter.when('fresh'), 20);
  });

  it('accepts overrides and rejects unusable limits', () => {
    const limiter = createDefaultControllerRateLimiter(createFakeClock(), { baseDelayMs: 1 });
    assert.equal(limiter.when('a'), 1);
    assert.throws(
      () => createDefaultControllerRateLimiter(createFakeClock(), { qps: 0 }),
      RangeError,
    );
    assert.throws(
      () =>
        createDefaultControllerRateLimiter(createFakeClock(), { baseDelayMs: 10, maxDelayMs: 5 }),
      RangeError,
    );
  });
});
