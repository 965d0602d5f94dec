import type { IncomingMessage } from 'node:http';
import { WebSocket } from 'ws';
import type { AgentTarget } from './agent-client.js';

/** AgentSocketErrors is used to build the client's coded errors without importing the client. */
export interface AgentSocketErrors {
  /** The agent answered the upgrade with this status and (parsed, or null) body. */
  refused(status: number, json: unknown): Error;
  /** No answer: connection refused, reset or timed out. */
  unreachable(why: string): Error;
}

/** MAX_AGENT_FRAME_BYTES is used to bound one message from an agent. */
const MAX_AGENT_FRAME_BYTES = 16 * 1024 * 1024;
/** An agent's error body is a small JSON object; anything longer is cut before parsing. */
const MAX_REFUSAL_BYTES = 64 * 1024;

/**
 * openAgentWebSocket is used by the agent client to open a WebSocket to an agent path with the
 * node's bearer token, through the same base URL as every other call (frp tunnel or direct).
 * The handshake has the client's timeout; once open, the stream has none.
 */
export function openAgentWebSocket(
  t: AgentTarget,
  path: string,
  timeoutMs: number,
  errors: AgentSocketErrors,
): Promise<WebSocket> {
  const url = `${t.baseUrl.replace(/^http/, 'ws')}${path}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      outcome();
    };
    const ws = new WebSocket(url, {
      headers: { authorization: `Bearer ${t.token}` },
      handshakeTimeout: timeoutMs,
      maxPayload: MAX_AGENT_FRAME_BYTES,
      perMessageDeflate: false,
    });
    ws.once('open', () => settle(() => resolve(ws)));
    // The agent answered with a status instead of 101: hand on its reason, as other calls do.
    ws.once('unexpected-response', (req, res) => {
      readRefusal(res).then(
        (json) => settle(() => reject(errors.refused(res.statusCode ?? 502, json))),
        () => settle(() => reject(errors.refused(res.statusCode ?? 502, null))),
      );
      res.once('end', () => req.destroy());
    });
    ws.on('error', (err) => settle(() => reject(errors.unreachable(err.message))));
  });
}

async function readRefusal(res: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res) {
    if (!Buffer.isBuffer(chunk)) continue;
    size += chunk.length;
    if (size > MAX_REFUSAL_BYTES) break;
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed;
  } catch {
    return null;
  }
}
