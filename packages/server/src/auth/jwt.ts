import { createHash } from 'node:crypto';
import { SignJWT, jwtVerify } from 'jose';

const ISSUER = 'utopia-server';
const AUDIENCE = 'utopia-api';
/** How many verified tokens a signer remembers (a few per active user or client). */
const VERIFIED_KEPT = 10_000;

/** JwtSession is used for what a valid login token says: whose it is, and of which generation. */
export interface JwtSession {
  userId: string;
  /** The user's token generation when the token was issued; a bump since then ends it. */
  generation: number;
}

/** JwtSigner is used to issue and check the short-lived login tokens. */
export interface JwtSigner {
  issue(session: JwtSession): Promise<{ token: string; expiresAt: Date }>;
  /** verify returns the session, or undefined for any bad, expired or foreign token. */
  verify(token: string): Promise<JwtSession | undefined>;
}

/** createJwtSigner is used once at start with the key kept in the database. */
export function createJwtSigner(key: Uint8Array, ttlSeconds: number, now: () => number): JwtSigner {
  // jose verifies through WebCrypto, about a fifth of a millisecond per request: a token already
  // verified under this key is remembered (by its SHA-256, not the secret itself) until it
  // expires. What the token says is fixed by its signature; the user row is still read on every
  // request (authenticate.ts), so a disabled user or a bumped generation ends it at once.
  const verified = new Map<string, { session: JwtSession; expiresAtSeconds: number }>();
  return {
    async issue({ userId, generation }) {
      const issuedAt = Math.floor(now() / 1000);
      const expiresAt = new Date((issuedAt + ttlSeconds) * 1000);
      const token = await new SignJWT({ gen: generation })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ttlSeconds)
        .sign(key);
      return { token, expiresAt };
    },
    async verify(token) {
      const digest = createHash('sha256').update(token).digest('base64');
      const known = verified.get(digest);
      // As jose counts it: expired once exp is not after the current whole second.
      if (known && known.expiresAtSeconds > Math.floor(now() / 1000)) return known.session;
      if (known) verified.delete(digest);
      try {
        // Pinning the algorithm is what rejects `alg: none` and key-confusion tricks.
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
          currentDate: new Date(now()),
        });
        const { sub, gen, exp } = payload;
        // A token without a generation predates sessions ending on change: refuse it.
        if (typeof sub !== 'string' || typeof gen !== 'number' || !Number.isSafeInteger(gen)) {
          return undefined;
        }
        const session = { userId: sub, generation: gen };
        if (typeof exp === 'number') {
          if (verified.size >= VERIFIED_KEPT) verified.clear();
          verified.set(digest, { session, expiresAtSeconds: exp });
        }
        return session;
      } catch {
        return undefined;
      }
    },
  };
}
