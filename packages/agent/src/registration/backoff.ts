/** BackoffOptions is used to shape the retry delays of calls to the server. */
export interface BackoffOptions {
  /** First delay, in ms; it doubles after each failure. */
  baseMs: number;
  /** Largest delay, in ms. */
  capMs: number;
}

/**
 * backoffDelay is used to compute the delay before retry number `attempt` (0-based): exponential,
 * capped, with "equal jitter" so that many agents restarted together do not retry in lock-step.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random = Math.random): number {
  const exp = Math.min(opts.capMs, opts.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** sleep is used to wait between retries; an aborted signal ends the wait early with its reason. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
