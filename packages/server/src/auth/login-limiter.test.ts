import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addressKey, createLoginLimiter, type LoginOutcome } from './login-limiter.js';

function setup(
  overrides: { freeFailures?: number; perAddress?: number; maxEntries?: number } = {},
) {
  let now = 1_000_000;
  const limiter = createLoginLimiter({
    freeFailures: overrides.freeFailures ?? 3,
    maxFailuresPerAddress: overrides.perAddress ?? 1000,
    windowMs: 900_000,
    maxDelayMs: 60_000,
    maxEntries: overrides.maxEntries ?? 10_000,
    now: () => now,
  });
  /** attempt answers the Retry-After seconds of a refusal, or 0 once settled with `outcome`. */
  const attempt = (user: string, address: string, outcome: LoginOutcome = 'failed'): number => {
    const a = limiter.admit(user, address);
    if (!a.allowed) return a.retryAfterSeconds;
    a.settle(outcome);
    return 0;
  };
  return { limiter, attempt, advance: (ms: number) => void (now += ms) };
}

describe('login limiter', () => {
  test('after the free failures, each further try waits 1 s, 2 s, 4 s … up to the cap', () => {
    const { attempt, advance } = setup();
    for (let i = 0; i < 3; i++) assert.equal(attempt('alice', '198.51.100.1'), 0);
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      const wait = attempt('alice', '198.51.100.1');
      assert.ok(wait > 0, 'refused before the wait is over');
      // A refused try does not make the wait longer.
      assert.equal(attempt('alice', '198.51.100.1'), wait);
      waits.push(wait);
      advance(wait * 1000);
      assert.equal(attempt('alice', '198.51.100.1'), 0);
    }
    assert.deepEqual(waits, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
  });

  test("a stranger's failures never delay the same user from another address", () => {
    const { attempt, advance } = setup();
    for (let i = 0; i < 50; i++) {
      advance(60_000);
      attempt('admin', '203.0.113.66');
    }
    assert.ok(attempt('admin', '203.0.113.66') > 0);
    assert.equal(attempt('admin', '198.51.100.1', 'succeeded'), 0);
  });

  test('a success resets the count of that (user, address)', () => {
    const { attempt, advance } = setup();
    for (let i = 0; i < 3; i++) attempt('bob', '198.51.100.2');
    advance(1000);
    assert.equal(attempt('bob', '198.51.100.2', 'succeeded'), 0);
    for (let i = 0; i < 3; i++) assert.equal(attempt('bob', '198.51.100.2'), 0);
  });

  test('the per-address limit counts failures only, across usernames', () => {
    const { attempt, advance } = setup({ perAddress: 4 });
    for (let i = 0; i < 20; i++) assert.equal(attempt('carol', '198.51.100.3', 'succeeded'), 0);
    for (let i = 0; i < 4; i++) assert.equal(attempt(`user${i}`, '198.51.100.3'), 0);
    // 4 per 900 s drain one every 225 s.
    assert.equal(attempt('user9', '198.51.100.3'), 225);
    assert.equal(attempt('carol', '198.51.100.3', 'succeeded'), 225);
    assert.equal(attempt('carol', '198.51.100.4', 'succeeded'), 0);
    advance(225_000);
    assert.equal(attempt('user9', '198.51.100.3'), 0);
  });

  test('attempts in flight count, so a parallel burst gets only the free tries', () => {
    const { limiter } = setup();
    const admitted = Array.from({ length: 10 }, () => limiter.admit('dave', '198.51.100.5'));
    assert.equal(admitted.filter((a) => a.allowed).length, 3);
    for (const a of admitted) if (a.allowed) a.settle('abandoned');
    // Abandoned attempts (say, the database failed) count as nothing.
    assert.equal(limiter.admit('dave', '198.51.100.5').allowed, true);
  });

  test('memory stays bounded: the least recent entries go first', () => {
    const { attempt, limiter } = setup({ maxEntries: 100 });
    for (let i = 0; i < 1000; i++) attempt(`spray${i}`, `10.0.${i >> 8}.${i & 255}`);
    assert.deepEqual(limiter.size(), { pairs: 100, addresses: 100 });
  });

  test('addressKey groups an IPv6 /64 and unwraps IPv4-mapped addresses', () => {
    assert.equal(addressKey('198.51.100.7'), '198.51.100.7');
    assert.equal(addressKey('::ffff:198.51.100.7'), '198.51.100.7');
    assert.equal(addressKey('2001:db8:1:2::1'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:db8:1:2:aaaa:bbbb:cccc:dddd'), '2001:db8:1:2::/64');
    assert.equal(addressKey('2001:0db8:0001:0002:0:0:0:9'), '2001:db8:1:2::/64');
    assert.equal(addressKey('::1'), '0:0:0:0::/64');
  });
});
