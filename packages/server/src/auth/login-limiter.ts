/** LoginLimiterOptions is used to size the login rate limits. */
export interface LoginLimiterOptions {
  maxFailuresPerUser: number;
  maxAttemptsPerAddress: number;
  windowMs: number;
  now: () => number;
}

/** LoginLimiter is used to slow password guessing, per username and per client address. */
export interface LoginLimiter {
  /** check returns the seconds to wait when a limit is hit, or 0 when the attempt may go on. */
  check(username: string, address: string): number;
  recordFailure(username: string): void;
  recordSuccess(username: string): void;
}

/**
 * createLoginLimiter is used once per server. It keeps sliding windows in memory: good for one
 * replica; with several, each replica limits on its own, which still bounds guessing.
 */
export function createLoginLimiter(opts: LoginLimiterOptions): LoginLimiter {
  const failures = new Map<string, number[]>();
  const attempts = new Map<string, number[]>();
  const recent = (map: Map<string, number[]>, key: string): number[] => {
    const since = opts.now() - opts.windowMs;
    const kept = (map.get(key) ?? []).filter((t) => t > since);
    if (kept.length === 0) map.delete(key);
    else map.set(key, kept);
    return kept;
  };
  const waitSeconds = (times: number[]): number =>
    Math.max(1, Math.ceil(((times[0] ?? 0) + opts.windowMs - opts.now()) / 1000));
  return {
    check(username, address) {
      const byAddress = recent(attempts, address);
      if (byAddress.length >= opts.maxAttemptsPerAddress) return waitSeconds(byAddress);
      attempts.set(address, [...byAddress, opts.now()]);
      const byUser = recent(failures, username.toLowerCase());
      return byUser.length >= opts.maxFailuresPerUser ? waitSeconds(byUser) : 0;
    },
    recordFailure(username) {
      const key = username.toLowerCase();
      failures.set(key, [...recent(failures, key), opts.now()]);
    },
    recordSuccess(username) {
      failures.delete(username.toLowerCase());
    },
  };
}
