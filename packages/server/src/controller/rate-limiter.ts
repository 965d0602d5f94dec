// Retry pacing for failed reconciles, after client-go's workqueue rate limiters: the delay for a
// key is the max of its own exponential backoff and a global token bucket, so one broken claim
// backs off alone while a mass failure (database down) cannot flood the system.
import type { TimerClock } from './queue-clock.js';

/** RateLimiter is used to decide how long a failed key waits before it is retried. */
export interface RateLimiter {
  /** Returns the delay in ms for the key's next retry, and records the retry. */
  when(key: string): number;
  /** Clears the key's failure history (after a success or a permanent failure). */
  forget(key: string): void;
  /** Returns how many retries the key has had since it was last forgotten. */
  numRequeues(key: string): number;
}

/** RateLimits is used to configure the default controller rate limiter. */
export interface RateLimits {
  /** First per-key retry delay; it doubles on each further failure. */
  baseDelayMs: number;
  /** Cap of the per-key delay. */
  maxDelayMs: number;
  /** Global sustained retries per second. */
  qps: number;
  /** Global retries allowed at once before the bucket paces them. */
  burst: number;
}

/** DEFAULT_RATE_LIMITS is used when nothing is configured (client-go's defaults: 5 ms → 1000 s, 50/s burst 300). */
export const DEFAULT_RATE_LIMITS: Readonly<RateLimits> = Object.freeze({
  baseDelayMs: 5,
  maxDelayMs: 1_000_000,
  qps: 50,
  burst: 300,
});

/** createExponentialBackoffRateLimiter is used to back off each key on its own: base·2^failures, capped. */
export function createExponentialBackoffRateLimiter(
  options: Pick<RateLimits, 'baseDelayMs' | 'maxDelayMs'>,
): RateLimiter {
  const failures = new Map<string, number>();
  return {
    when(key) {
      const exponent = failures.get(key) ?? 0;
      failures.set(key, exponent + 1);
      // 2 ** exponent reaches Infinity after ~1000 failures; Math.min still caps it.
      return Math.min(options.baseDelayMs * 2 ** exponent, options.maxDelayMs);
    },
    forget: (key) => void failures.delete(key),
    numRequeues: (key) => failures.get(key) ?? 0,
  };
}

/**
 * createTokenBucketRateLimiter is used to bound retries across all keys. Like Go's
 * rate.Limiter.Reserve, a retry always gets a slot: when the bucket is empty it borrows a future
 * token (the count goes negative) and waits until that token would have arrived.
 */
export function createTokenBucketRateLimiter(
  options: Pick<RateLimits, 'qps' | 'burst'>,
  clock: Pick<TimerClock, 'now'>,
): RateLimiter {
  let tokens = options.burst;
  let last = clock.now();
  return {
    when() {
      const now = clock.now();
      tokens = Math.min(options.burst, tokens + (Math.max(0, now - last) * options.qps) / 1000);
      last = now;
      tokens -= 1;
      return tokens >= 0 ? 0 : Math.ceil((-tokens * 1000) / options.qps);
    },
    forget: () => undefined,
    numRequeues: () => 0,
  };
}

/** createMaxOfRateLimiter is used to combine limiters: the longest delay wins. */
export function createMaxOfRateLimiter(...limiters: readonly RateLimiter[]): RateLimiter {
  return {
    // Every limiter must see every retry (they count), so no short-circuit here.
    when: (key) => limiters.reduce((max, l) => Math.max(max, l.when(key)), 0),
    forget: (key) => limiters.forEach((l) => l.forget(key)),
    numRequeues: (key) => limiters.reduce((max, l) => Math.max(max, l.numRequeues(key)), 0),
  };
}

/** createDefaultControllerRateLimiter is used by the controller queue: per-key backoff max global bucket. */
export function createDefaultControllerRateLimiter(
  clock: Pick<TimerClock, 'now'>,
  overrides: Partial<RateLimits> = {},
): RateLimiter {
  const limits = { ...DEFAULT_RATE_LIMITS, ...overrides };
  assertRateLimits(limits);
  return createMaxOfRateLimiter(
    createExponentialBackoffRateLimiter(limits),
    createTokenBucketRateLimiter(limits, clock),
  );
}

/** assertRateLimits is used to reject a configuration that would divide by zero or never retry. */
export function assertRateLimits(limits: RateLimits): void {
  const positive = (n: number): boolean => Number.isFinite(n) && n > 0;
  if (!positive(limits.baseDelayMs) || !(limits.maxDelayMs >= limits.baseDelayMs)) {
    throw new RangeError('rate limits: need 0 < baseDelayMs <= maxDelayMs');
  }
  if (!positive(limits.qps) || !(limits.burst >= 1)) {
    throw new RangeError('rate limits: need qps > 0 and burst >= 1');
  }
}
