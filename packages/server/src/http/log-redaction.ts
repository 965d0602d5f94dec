import type { FastifyBaseLogger } from 'fastify';
import { FRP_PLUGIN_PATH } from '../tunnel/frps-config.js';

/** REDACTED is used in place of a secret in anything logged. */
export const REDACTED = '[redacted]';

// Paths whose next segment is a secret: frps cannot authenticate, so its plugin URL carries one.
const SECRET_SEGMENT_PREFIXES = [`${FRP_PLUGIN_PATH}/`];

/** redactUrl is used to log a request URL without the secret path segments it may carry. */
export function redactUrl(url: string): string {
  for (const prefix of SECRET_SEGMENT_PREFIXES) {
    if (!url.startsWith(prefix)) continue;
    const rest = url.slice(prefix.length);
    const end = rest.search(/[/?#]/);
    return `${prefix}${REDACTED}${end === -1 ? '' : rest.slice(end)}`;
  }
  return url;
}

/** redactSecrets is used for text from elsewhere (say, frps's output) that may quote a secret. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, s) => (s === '' ? out : out.replaceAll(s, REDACTED)), text);
}

/** LoggedRequest is used for the fields of a request that the request log reads. */
interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  headers?: Record<string, string | string[] | undefined>;
  socket?: { remotePort?: number };
}

/** serializeRequest is Fastify's own `req` serializer, with the URL redacted. */
function serializeRequest(req: LoggedRequest): Record<string, unknown> {
  return {
    method: req.method,
    url: req.url === undefined ? undefined : redactUrl(req.url),
    version: req.headers?.['accept-version'],
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/**
 * withRedactedRequests is used to hand Fastify a logger whose request log never shows a secret
 * path segment, whichever logger the server was started with.
 */
export function withRedactedRequests(logger: FastifyBaseLogger): FastifyBaseLogger {
  return logger.child({}, { serializers: { req: serializeRequest } });
}
