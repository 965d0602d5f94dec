import { SignJWT, jwtVerify } from 'jose';

const ISSUER = 'utopia-server';
const AUDIENCE = 'utopia-api';

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
      try {
        // Pinning the algorithm is what rejects `alg: none` and key-confusion tricks.
        const { payload } = await jwtVerify(token, key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
          currentDate: new Date(now()),
        });
        const { sub, gen } = payload;
        // A token without a generation predates sessions ending on change: refuse it.
        if (typeof sub !== 'string' || typeof gen !== 'number' || !Number.isSafeInteger(gen)) {
          return undefined;
        }
        return { userId: sub, generation: gen };
      } catch {
        return undefined;
      }
    },
  };
}
