/** Pacing is used to spread the starts of a mapBounded run evenly over a span of time. */
export interface Pacing {
  /** Item i (of n) starts no earlier than i × spreadMs / n after the run began, rounded down to a tick. */
  spreadMs: number;
  /**
   * Starts are grouped on ticks this far apart (default 100 ms): each wake-up of the process costs
   * far more than the calls it starts, so a few dozen calls per tick cost much less CPU than one
   * call per millisecond, and the load is still spread over the span.
   */
  tickMs?: number;
  now(): number;
  sleep(ms: number): Promise<void>;
}

const DEFAULT_TICK_MS = 100;

/**
 * mapBounded is used to run `fn` over many items with at most `limit` in flight (e.g. polling
 * thousands of agents without opening thousands of connections at once). Results keep the order.
 * With `pacing`, the starts are spread over its span instead of all coming at once, so that
 * 10,000 polls make a steady trickle of work for the server and its CPU, not a spike per round.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
  pacing?: Pacing,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const start = pacing?.now() ?? 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const item = items[i];
      if (pacing && pacing.spreadMs > 0) {
        const tick = pacing.tickMs ?? DEFAULT_TICK_MS;
        const offset = (i * pacing.spreadMs) / items.length;
        const wait = start + Math.floor(offset / tick) * tick - pacing.now();
        if (wait > 0) await pacing.sleep(wait);
      }
      if (item !== undefined) results[i] = await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
