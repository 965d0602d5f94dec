import { isIPv4, isIPv6 } from 'node:net';

/** LoginLimiterOptions is used to size the login throttle. */
export interface LoginLimiterOptions {
  /** Failed logins of one username from one address before each further try has to wait. */
  freeFailures: number;
  /** Failed logins from one address, any username, per window: the password-spraying limit. */
  maxFailuresPerAddress: number;
  windowMs: number;
  now: () => number;
  /** Longest wait between two tries of one (username, address); default 15 minutes. */
  maxDelayMs?: number;
  /** Most (username, address) pairs and addresses remembered; the least recent go first. */
  maxEntries?: number;
}

/** LoginOutcome is used to tell the limiter how an admitted attempt ended. */
export type LoginOutcome = 'failed' | 'succeeded' | 'abandoned';

/** LoginAdmission is used to answer whether a login may check its password now. */
export type LoginAdmission =
  | { allowed: true; settle(outcome: LoginOutcome): void }
  | { allowed: false; retryAfterSeconds: number };

/**
 * LoginLimiter is used to slow password guessing without letting anyone lock an account: waits
 * grow per (username, address), so a stranger's failures never delay the owner's own address,
 * and a coarse per-address limit on failures bounds guessing across many usernames.
 */
export interface LoginLimiter {
  /** admit reserves the attempt; the caller must settle it exactly once. */
  admit(username: string, address: string): LoginAdmission;
}

interface PairState {
  failures: number;
  lastFailureAt: number;
  /** Attempts admitted and not settled yet: counted as failures until they are. */
  pending: number;
}

interface AddressState {
  /** Leaky bucket of failures: +1 per failure, drains maxFailuresPerAddress per window. */
  level: number;
  at: number;
  pending: number;
}

const DEFAULT_MAX_DELAY_MS = 15 * 60_000;
const DEFAULT_MAX_ENTRIES = 10_000;

/**
 * addressKey is used to group client addresses: an IPv4 address (IPv4-mapped ones included) is
 * itself; an IPv6 address stands for its /64, since one host usually holds a whole /64.
 */
export function addressKey(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) return mapped[1];
  if (isIPv4(address) || !isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  const prefix = groups.slice(0, 4).map((g) => Number.parseInt(g, 16).toString(16));
  return `${prefix.join(':')}::/64`;
}

/** LruMap is used to keep each map bounded: reading or writing a key makes it the most recent. */
class LruMap<V> {
  readonly #map = new Map<string, V>();
  readonly #max: number;
  constructor(max: number) {
    this.#max = max;
  }
  get(key: string): V | undefined {
    const value = this.#map.get(key);
    if (value !== undefined) {
      this.#map.delete(key);
      this.#map.set(key, value);
    }
    return value;
  }
  set(key: string, value: V): void {
    this.#map.delete(key);
    this.#map.set(key, value);
    if (this.#map.size > this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
  }
  delete(key: string): void {
    this.#map.delete(key);
  }
  get size(): number {
    return this.#map.size;
  }
}

/**
 * createLoginLimiter is used once per server. State lives in memory: with several replicas each
 * one throttles on its own, which still bounds guessing (by the number of replicas).
 */
export function createLoginLimiter(opts: LoginLimiterOptions): LoginLimiter & {
  /** Entries held, for tests of the memory bound. */
  size(): { pairs: number; addresses: number };
} {
  const maxDelayMs = opts.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  const pairs = new LruMap<PairState>(opts.maxEntries ?? DEFAULT_MAX_ENTRIES);
  const addresses = new LruMap<AddressState>(opts.maxEntries ?? DEFAULT_MAX_ENTRIES);
  const drainPerMs = opts.maxFailuresPerAddress / opts.windowMs;

  // Once a pair has its free failures, the next try waits 1 s, then 2 s, 4 s … (capped).
  const delayMs = (failures: number): number => {
    const extra = failures - opts.freeFailures;
    return extra < 0 ? 0 : Math.min(maxDelayMs, 1000 * 2 ** Math.min(extra, 30));
  };

  const pairOf = (key: string, now: number): PairState => {
    const pair = pairs.get(key);
    // A pair quiet for a whole window after its last wait ended starts over.
    const quietSince = pair ? pair.lastFailureAt + delayMs(pair.failures) : 0;
    if (pair && (pair.pending > 0 || now <= quietSince + opts.windowMs)) return pair;
    return { failures: 0, lastFailureAt: 0, pending: 0 };
  };

  const drain = (state: AddressState, now: number): AddressState => {
    state.level = Math.max(0, state.level - (now - state.at) * drainPerMs);
    state.at = now;
    return state;
  };

  const refuse = (waitMs: number): LoginAdmission => ({
    allowed: false,
    // The epsilon keeps float noise (225000.00000000003 ms) from adding a second.
    retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000 - 1e-9)),
  });

  const settle = (pKey: string, pair: PairState, aKey: string, byAddress: AddressState) => {
    let settled = false;
    return (outcome: LoginOutcome): void => {
      if (settled) return;
      settled = true;
      pair.pending--;
      byAddress.pending--;
      const at = opts.now();
      if (outcome === 'failed') {
        pair.failures++;
        pair.lastFailureAt = at;
        drain(byAddress, at).level += 1;
        pairs.set(pKey, pair);
        addresses.set(aKey, byAddress);
      } else if (outcome === 'succeeded') {
        pair.failures = 0;
        if (pair.pending === 0) pairs.delete(pKey);
      }
    };
  };

  return {
    admit(username, address) {
      const now = opts.now();
      const aKey = addressKey(address);
      const pKey = `${username.toLowerCase()}\u0000${aKey}`;
      const byAddress = drain(addresses.get(aKey) ?? { level: 0, at: now, pending: 0 }, now);
      const spare = opts.maxFailuresPerAddress - byAddress.level - byAddress.pending;
      if (spare < 1) return refuse(((1 - spare) * opts.windowMs) / opts.maxFailuresPerAddress);
      const pair = pairOf(pKey, now);
      // An attempt in flight counts as a failure, so a burst of parallel tries gains nothing.
      if (pair.failures + pair.pending >= opts.freeFailures) {
        if (pair.pending > 0) return refuse(1000);
        const wait = pair.lastFailureAt + delayMs(pair.failures) - now;
        if (wait > 0) return refuse(wait);
      }
      pair.pending++;
      byAddress.pending++;
      pairs.set(pKey, pair);
      addresses.set(aKey, byAddress);
      return { allowed: true, settle: settle(pKey, pair, aKey, byAddress) };
    },
    size: () => ({ pairs: pairs.size, addresses: addresses.size }),
  };
}
