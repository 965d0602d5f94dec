import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** randomSecret is used for every generated secret: 32 random bytes, base64url. */
export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

/** randomId is used for token ids: short, URL-safe, not guessable. */
export function randomId(): string {
  return randomBytes(9).toString('base64url').replace(/[-_]/g, 'x');
}

/** sha256Hex is used to store high-entropy secrets (API, join and node tokens) at rest. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}

/** constantTimeEqual is used for every secret comparison, so timing tells an attacker nothing. */
export function constantTimeEqual(a: string, b: string): boolean {
  // Hash first: timingSafeEqual needs equal lengths, and the digests hide the lengths.
  const da = createHash('sha256').update(a).digest();
  const db = createHash('sha256').update(b).digest();
  return timingSafeEqual(da, db);
}
