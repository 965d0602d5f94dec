// The web UI (packages/web, built by Vite into packages/web/dist) served at `/`: hashed assets
// cached for good, index.html never cached, and every other browser path that is not the API
// or the docs answered with index.html, so the app's own routes (/claims/…) survive a reload.
// These routes are public (the app itself holds no data) and hidden from the OpenAPI document.
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** WEB_DIST_DIR is used to find the built UI: packages/web/dist beside this package. */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

// Only the app's own scripts and styles; API calls and streams to this origin; never framed.
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Utopia</title>
<p>The web UI is not built. Run <code>npm run build</code> (the API is at <a href="/docs">/docs</a>).</p>`;

/** isWebUiRoute is used by the OpenAPI test: these routes serve the app, not the API. */
export function isWebUiRoute(url: string): boolean {
  return url === '/' || url === '/assets/*';
}

/** isAppPath is used by the not-found handler: a browser page load outside the API and docs. */
export function isAppPath(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? '';
  if (/^\/(api|docs|assets)(\/|$)/.test(path) || path === '/metrics') return false;
  return (request.headers.accept ?? '').includes('text/html');
}

/** sendIndex is used for `/` and for every app path. */
export async function sendIndex(reply: FastifyReply, root = WEB_DIST_DIR): Promise<void> {
  void reply
    .header('cache-control', 'no-cache')
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
  // Read here, not through @fastify/static: the root not-found handler has no sendFile.
  const html = await readFile(`${root}index.html`, 'utf8').catch(() => NOT_BUILT);
  return reply.type('text/html; charset=utf-8').send(html);
}

/** webUiRoutes is used by buildApp, after the API routes. */
export async function webUiRoutes(app: FastifyInstance, opts: { root?: string }): Promise<void> {
  const root = opts.root ?? WEB_DIST_DIR;
  // Only hashed assets go through sendFile: their names change with their content.
  await app.register(fastifyStatic, { root, serve: false, maxAge: '365d', immutable: true });
  const route = { config: { access: 'public' as const }, schema: { hide: true } };
  app.get('/', route, (_request, reply) => sendIndex(reply, root));
  app.get<{ Params: { '*': string } }>('/assets/*', route, (request, reply) =>
    reply.header('x-content-type-options', 'nosniff').sendFile(`assets/${request.params['*']}`),
  );
}
