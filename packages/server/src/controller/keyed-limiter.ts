// A bound on concurrent calls per key (per node): the reconcile workers create containers on
// many nodes at once, but a burst must not open dozens of creates against one agent.

/** KeyedLimiter is used to run fn with at most `limit` calls per key in flight. */
export type KeyedLimiter = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

/** createKeyedLimiter is used once per leadership term. */
export function createKeyedLimiter(limit: number): KeyedLimiter {
  const active = new Map<string, number>();
  const waiting = new Map<string, (() => void)[]>();

  function release(key: string): void {
    const next = waiting.get(key)?.shift();
    if (next) return next(); // the slot passes straight to the next waiter
    if (waiting.get(key)?.length === 0) waiting.delete(key);
    const n = (active.get(key) ?? 1) - 1;
    if (n === 0) active.delete(key);
    else active.set(key, n);
  }

  return async (key, fn) => {
    const n = active.get(key) ?? 0;
    if (n < limit) active.set(key, n + 1);
    else {
      await new Promise<void>((resolve) => {
        const list = waiting.get(key) ?? [];
        list.push(resolve);
        waiting.set(key, list);
      });
    }
    try {
      return await fn();
    } finally {
      release(key);
    }
  };
}
