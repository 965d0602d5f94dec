import { ErrorCode } from '@utopia/shared';
import type { FastifyInstance } from 'fastify';
import { errorBody } from './error-handler.js';

/** KnownPath is used to match a concrete path against one registered route URL. */
interface KnownPath {
  readonly pattern: RegExp;
  /** Static segments rank a route above one with parameters, as in the router. */
  readonly staticSegments: number;
  readonly methods: Set<string>;
}

function compile(url: string): RegExp {
  const source = url
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) return '[^/]+';
      return segment.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
    })
    .join('/');
  return new RegExp(`^${source}$`);
}

function countStatic(url: string): number {
  return url.split('/').filter((s) => s !== '' && !s.startsWith(':') && !s.includes('*')).length;
}

/**
 * registerMethodNotAllowed is used once, before any route: a request whose path is known but whose
 * method is not gets 405 with `Allow` (RFC 9110), not 404. It runs before the body is read, so
 * a body-carrying method with no content type gets the same answer.
 */
export function registerMethodNotAllowed(app: FastifyInstance): void {
  const known = new Map<string, KnownPath>();
  app.addHook('onRoute', (route) => {
    const entry = known.get(route.url) ?? {
      pattern: compile(route.url),
      staticSegments: countStatic(route.url),
      methods: new Set<string>(),
    };
    for (const m of [route.method].flat()) entry.methods.add(m);
    known.set(route.url, entry);
  });

  function allowedMethods(path: string): string[] {
    const matches = [...known.values()].filter((k) => k.pattern.test(path));
    const best = Math.max(...matches.map((k) => k.staticSegments));
    const methods = matches.filter((k) => k.staticSegments === best).flatMap((k) => [...k.methods]);
    return [...new Set(methods)].sort();
  }

  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?')[0] ?? '';
    const allowed = allowedMethods(path);
    if (allowed.length === 0) return;
    return reply
      .status(405)
      .header('allow', allowed.join(', '))
      .send(
        errorBody(
          405,
          ErrorCode.MethodNotAllowed,
          `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`,
        ),
      );
  });
}
