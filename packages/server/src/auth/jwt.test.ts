import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createJwtSigner } from './jwt.js';

const KEY = new TextEncoder().encode('a-test-key-of-thirty-two-bytes!!');
const OTHER_KEY = new TextEncoder().encode('another-key-of-thirty-two-bytes!');

function setup(ttlSeconds = 60) {
  const clock = { now: 1_800_000_000_000 };
  return { clock, signer: createJwtSigner(KEY, ttlSeconds, () => clock.now) };
}

describe('JWT signer', () => {
  test('a token verifies, again from memory, and says whose it is', async () => {
    const { signer } = setup();
    const { token } = await signer.issue({ userId: 'u1', generation: 3 });
    assert.deepEqual(await signer.verify(token), { userId: 'u1', generation: 3 });
    assert.deepEqual(await signer.verify(token), { userId: 'u1', generation: 3 });
  });

  test('a remembered token still expires at its exp', async () => {
    const { clock, signer } = setup(60);
    const { token, expiresAt } = await signer.issue({ userId: 'u1', generation: 0 });
    assert.ok(await signer.verify(token));
    clock.now = expiresAt.getTime() - 1;
    assert.ok(await signer.verify(token), 'valid in its last millisecond');
    clock.now = expiresAt.getTime();
    assert.equal(await signer.verify(token), undefined);
    clock.now = expiresAt.getTime() - 1000;
    assert.ok(await signer.verify(token), 'a clock moved back: jose decides again');
  });

  test('a changed signature or payload is refused while the real token is remembered', async () => {
    const { signer } = setup();
    const { token } = await signer.issue({ userId: 'u1', generation: 0 });
    assert.ok(await signer.verify(token));
    const [header, payload, signature] = token.split('.');
    assert.ok(header && payload && signature);
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    assert.equal(await signer.verify(`${header}.${payload}.${flipped}`), undefined);
    const forged = Buffer.from(JSON.stringify({ sub: 'admin', gen: 0 })).toString('base64url');
    assert.equal(await signer.verify(`${header}.${forged}.${signature}`), undefined);
  });

  test('a token of another key, or with alg none, is refused', async () => {
    const { clock, signer } = setup();
    const other = createJwtSigner(OTHER_KEY, 60, () => clock.now);
    const { token } = await other.issue({ userId: 'u1', generation: 0 });
    assert.ok(await other.verify(token));
    assert.equal(await signer.verify(token), undefined);
    const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const [, payload] = token.split('.');
    assert.equal(await signer.verify(`${none}.${payload}.`), undefined);
  });
});
