import { SignJWT, jwtVerify } from 'jose';

const ISSUER = 'utopia-server';
const AUDIENCE = 'utopia-api';

/** JwtSigner is used to issue and check the short-lived login tokens. */
export interface JwtSigner {
  issue(userId: string): Promise<{ token: string; expiresAt: Date }>;
  /** verify returns the user id, or undefined for any bad, expired or foreign token. */
  verify(token: string): Promise<string | undefined>;
}

/** createJwtSigner is used once at start with the key kept in the database. */
export function createJwtSigner(key: Uint8Array, ttlSeconds: number, now: () => number): JwtSigner {
  return {
    async issue(userId) {
      const issuedAt = Math.floor(now() / 1000);
      const expiresAt = new Date((issuedAt + ttlSeconds) * 1000);
      const token = await new SignJWT({})
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
        return typeof payload.sub === 'string' ? payload.sub : undefined;
      } catch {
        return undefined;
      }
    },
  };
}
