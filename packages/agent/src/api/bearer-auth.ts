import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { agentErrors } from '../agent-error.js';

/**
 * createBearerCheck is used to guard /api/v1: the caller must present this node's own agent token.
 * Both sides are hashed first so the comparison is constant-time whatever the lengths.
 */
export function createBearerCheck(
  agentToken: () => string | undefined,
): (req: FastifyRequest) => Promise<void> {
  let cached: { token: string; hash: Buffer } | undefined;
  return (req) => {
    // Until registration has finished there is no token, and nothing is let in.
    const token = agentToken();
    if (token === undefined) return Promise.reject(agentErrors.unauthenticated());
    if (cached?.token !== token) cached = { token, hash: digest(token) };
    const expected = cached.hash;
    const header = req.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    const given = match?.[1];
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      return Promise.reject(agentErrors.unauthenticated());
    }
    return Promise.resolve();
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
