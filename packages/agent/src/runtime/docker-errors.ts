import { RuntimeError } from './container-runtime.js';

// Socket-level failures: the Engine is restarting, stopped, or its socket is not ours to use.
const SOCKET_ERRORS = new Set([
  'ECONNREFUSED',
  'ENOENT',
  'EACCES',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

// Docker answers these with a 5xx although no retry on this node can help.
const PERMANENT_5XX = [/could not select device driver/];

interface DockerErrorFields {
  statusCode: unknown;
  code: unknown;
  message: string;
  name: string;
}

/**
 * toRuntimeError is used to classify a dockerode/socket error by its cause: socket errors and
 * Docker 5xx (a dockerd restart, containerd not ready) are `unavailable`, i.e. transient; Docker
 * 4xx, and requests that could not even be encoded, are permanent kinds.
 */
export function toRuntimeError(err: unknown): RuntimeError {
  if (err instanceof RuntimeError) return err;
  const e = fieldsOf(err);
  const message = dockerMessage(err, e.message);
  if (isSocketError(err))
    return new RuntimeError('unavailable', `Docker Engine unreachable: ${message}`);
  if (typeof e.statusCode !== 'number') {
    // Node refused to build the request (bad characters in a path, header or query string).
    if (['URIError', 'TypeError', 'RangeError'].includes(e.name) || isNodeCode(e.code)) {
      return new RuntimeError('rejected', message);
    }
    return new RuntimeError('unavailable', `Docker Engine call failed: ${message}`);
  }
  if (e.statusCode >= 500) {
    if (PERMANENT_5XX.some((re) => re.test(message))) return new RuntimeError('rejected', message);
    return new RuntimeError('unavailable', `Docker Engine answered ${e.statusCode}: ${message}`);
  }
  if (e.statusCode === 404) return new RuntimeError('not-found', message);
  if (e.statusCode === 409) return new RuntimeError('conflict', message);
  return new RuntimeError('rejected', message);
}

/** isSocketError is used to tell "Docker could not be reached" from "Docker answered". */
export function isSocketError(err: unknown): boolean {
  const { code, statusCode } = fieldsOf(err);
  return statusCode === undefined && typeof code === 'string' && SOCKET_ERRORS.has(code);
}

function isNodeCode(code: unknown): boolean {
  return typeof code === 'string' && code.startsWith('ERR_');
}

function fieldsOf(err: unknown): DockerErrorFields {
  if (typeof err !== 'object' || err === null) {
    return { statusCode: undefined, code: undefined, message: String(err), name: '' };
  }
  const get = (key: string): unknown => (key in err ? Reflect.get(err, key) : undefined);
  const message = get('message');
  const name = get('name');
  return {
    statusCode: get('statusCode'),
    code: get('code'),
    message: typeof message === 'string' ? message : 'unknown Docker error',
    name: typeof name === 'string' ? name : '',
  };
}

function dockerMessage(err: unknown, fallback: string): string {
  const json = typeof err === 'object' && err !== null ? Reflect.get(err, 'json') : undefined;
  if (typeof json === 'object' && json !== null) {
    const message: unknown = Reflect.get(json, 'message');
    if (typeof message === 'string') return message;
  }
  return fallback.replace(/^\(HTTP code \d+\) [a-z ]+ - /, '').trim() || 'unknown Docker error';
}
