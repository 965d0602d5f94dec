// The controller's work queue, after client-go's workqueue: keys (claim ids) rather than events, so
// a burst of events for one claim collapses into one reconcile, and a key never runs on two
// workers at once. Delays and retries are timers through an injected TimerClock.
import { monotonicTimerClock, type TimerClock, type TimerHandle } from './queue-clock.js';
import { DelayHeap } from './queue-heap.js';
import { createDefaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

/** WorkQueue is used to hand reconcile keys to workers, deduplicated, delayed or rate limited. */
export interface WorkQueue {
  /** Queues the key now; a no-op when it is already queued, deferred to done() while it runs. */
  add(key: string): void;
  /** Queues the key after `ms`; if it is already waiting, the earlier due time wins. */
  addAfter(key: string, ms: number): void;
  /** Queues the key after the rate limiter's delay (per-key backoff, global bucket). */
  addRateLimited(key: string): void;
  /** Resets the key's backoff; call it when the key succeeded or will never be retried. */
  forget(key: string): void;
  /** Returns how many rate-limited retries the key has had since forget(). */
  numRequeues(key: string): number;
  /** Waits for the next key and marks it processing; undefined once the queue is shut down. */
  get(): Promise<string | undefined>;
  /** Marks the key finished; if it was added meanwhile, it is queued again. */
  done(key: string): void;
  /** Returns the number of keys ready to be taken. */
  len(): number;
  /** Releases every waiter with undefined, drops queued and delayed keys, and refuses new ones. */
  shutDown(): void;
  /** Returns true once shutDown() has been called. */
  isShuttingDown(): boolean;
}

/** WorkQueueOptions is used to inject time and retry pacing. */
export interface WorkQueueOptions {
  clock?: TimerClock;
  rateLimiter?: RateLimiter;
}

/** createWorkQueue is used to build a queue; defaults are the system clock and client-go's limits. */
export function createWorkQueue(options: WorkQueueOptions = {}): WorkQueue {
  const clock = options.clock ?? monotonicTimerClock;
  return new RateLimitingQueue(
    clock,
    options.rateLimiter ?? createDefaultControllerRateLimiter(clock),
  );
}

class RateLimitingQueue implements WorkQueue {
  readonly #clock: TimerClock;
  readonly #limiter: RateLimiter;
  // Ready keys in FIFO order; #head avoids Array.shift's O(n) copy on long queues.
  #ready: string[] = [];
  #head = 0;
  // dirty: keys that need a run (queued, or re-added while running); processing: keys being run.
  readonly #dirty = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #waiters: Array<(key: string | undefined) => void> = [];
  // The authoritative due time per delayed key; the heap may hold stale (later) entries.
  readonly #delayed = new Map<string, number>();
  readonly #heap = new DelayHeap();
  #timer: TimerHandle | undefined;
  #timerDue = Infinity;
  #shuttingDown = false;

  constructor(clock: TimerClock, limiter: RateLimiter) {
    this.#clock = clock;
    this.#limiter = limiter;
  }

  add(key: string): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    // A running key is not queued now: done() queues it, so it never runs on two workers.
    if (this.#processing.has(key)) return;
    this.#ready.push(key);
    this.#dispatch();
  }

  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    // `!(ms > 0)` also sends NaN here: an unusable delay means "now", never "never".
    if (!(ms > 0)) return this.add(key);
    const due = this.#clock.now() + ms;
    const current = this.#delayed.get(key);
    if (current !== undefined && current <= due) return;
    this.#delayed.set(key, due);
    this.#heap.push(key, due);
    this.#arm();
  }

  addRateLimited(key: string): void {
    this.addAfter(key, this.#limiter.when(key));
  }

  forget(key: string): void {
    this.#limiter.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  get(): Promise<string | undefined> {
    if (this.#shuttingDown) return Promise.resolve(undefined);
    if (this.len() > 0) return Promise.resolve(this.#take());
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) {
      this.#ready.push(key);
      this.#dispatch();
    }
  }

  len(): number {
    return this.#ready.length - this.#head;
  }

  shutDown(): void {
    this.#shuttingDown = true;
    this.#disarm();
    this.#delayed.clear();
    this.#heap.clear();
    this.#ready = [];
    this.#head = 0;
    this.#dirty.clear();
    for (const resolve of this.#waiters.splice(0)) resolve(undefined);
  }

  isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  // Hands ready keys straight to waiting workers, oldest waiter first.
  #dispatch(): void {
    while (this.#waiters.length > 0 && this.len() > 0) {
      const resolve = this.#waiters.shift();
      resolve?.(this.#take());
    }
  }

  #take(): string {
    const key = this.#ready[this.#head] ?? '';
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#ready.length) {
      this.#ready = this.#ready.slice(this.#head);
      this.#head = 0;
    }
    this.#dirty.delete(key);
    this.#processing.add(key);
    return key;
  }

  // One timer, armed for the earliest delayed key, instead of one timer per key.
  #arm(): void {
    const next = this.#heap.peek();
    if (next === undefined || next.due >= this.#timerDue) return;
    this.#disarm();
    this.#timerDue = next.due;
    const wait = Math.max(0, next.due - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => this.#fire(), wait);
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerDue = Infinity;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerDue = Infinity;
    const now = this.#clock.now();
    for (let e = this.#heap.peek(); e !== undefined && e.due <= now; e = this.#heap.peek()) {
      this.#heap.pop();
      // A stale entry (the key was re-added with an earlier time, or already fired) is skipped.
      if (this.#delayed.get(e.key) !== e.due) continue;
      this.#delayed.delete(e.key);
      this.add(e.key);
    }
    this.#arm();
  }
}
