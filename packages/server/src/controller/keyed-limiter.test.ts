import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createKeyedLimiter } from './keyed-limiter.js';

describe('keyed limiter', () => {
  it('runs at most `limit` calls per key at once, other keys unhindered', async () => {
    const limit = createKeyedLimiter(2);
    const inFlight = new Map<string, number>();
    let most = 0;
    const call = (key: string) =>
      limit(key, async () => {
        inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
        most = Math.max(most, inFlight.get('n1') ?? 0);
        await new Promise((r) => setTimeout(r, 5));
        inFlight.set(key, (inFlight.get(key) ?? 1) - 1);
        return key;
      });
    const started = performance.now();
    const out = await Promise.all([...Array(6)].map(() => call('n1')).concat(call('n2')));
    assert.equal(most, 2);
    assert.equal(out.length, 7);
    // Six calls two at a time take three rounds.
    assert.ok(performance.now() - started >= 14);
  });

  it('frees the slot when a call throws', async () => {
    const limit = createKeyedLimiter(1);
    await assert.rejects(limit('n1', () => Promise.reject(new Error('boom'))));
    assert.equal(await limit('n1', () => Promise.resolve('next')), 'next');
  });
});
