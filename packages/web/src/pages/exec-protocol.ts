// Kubernetes' WebSocket channel protocol as the server's exec route speaks it (docs/api.md,
// "Exec"): each binary frame starts with its channel byte.
import { ExecProtocol } from '@utopia/shared';
import { getSession } from '../api/session.js';

const BEARER_PREFIX = 'base64url.bearer.authorization.k8s.io.';

/** execUrl is used to open a shell with a terminal in a claim's container. */
export function execUrl(claimId: string, command: string[]): string {
  const q = new URLSearchParams({ stdin: 'true', stdout: 'true', stderr: 'false', tty: 'true' });
  for (const c of command) q.append('command', c);
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/api/gpu-claims/${encodeURIComponent(claimId)}/exec?${q}`;
}

/**
 * execProtocols is used as the WebSocket's protocols: the channel protocol, then the session's
 * token as a subprotocol, since a browser's WebSocket cannot send an Authorization header.
 */
export function execProtocols(): string[] {
  const token = getSession()?.token ?? '';
  const bytes = new TextEncoder().encode(token);
  const b64 = btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
  // The channel protocol first: the server selects it, and never the token.
  return [ExecProtocol.V5, `${BEARER_PREFIX}${b64}`];
}

/** frame is used to send text on a channel. */
export function frame(channel: number, text: string): Uint8Array {
  const body = new TextEncoder().encode(text);
  const out = new Uint8Array(body.length + 1);
  out[0] = channel;
  out.set(body, 1);
  return out;
}

/** statusMessage is used to read the status channel: undefined on Success, else its message. */
export function statusMessage(json: string): string | undefined {
  try {
    const data: unknown = JSON.parse(json);
    if (typeof data !== 'object' || data === null) return json;
    if (Reflect.get(data, 'status') === 'Success') return undefined;
    const message: unknown = Reflect.get(data, 'message');
    return typeof message === 'string' ? message : json;
  } catch {
    return json;
  }
}
