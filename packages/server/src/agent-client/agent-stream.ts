// Streamed GETs to an agent: the answer's body is handed on as a Node stream, never read whole,
// so however fast a container writes, a slow client slows the agent down instead of growing
// a buffer here (TCP carries the backpressure all the way to Docker).
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import type { AgentTarget } from './agent-client.js';

/** AgentStreamAnswer is used to hand on an agent's status and its unread body. */
export interface AgentStreamAnswer {
  status: number;
  body: IncomingMessage;
}

/**
 * openAgentStream is used to GET `path` from an agent and get its body as a stream. Only the
 * wait for the answer's head has a deadline: a followed log may rightly run for days. `signal`
 * ends the call (and the body) whenever the caller is done with it.
 *
 * A connection cut before the head comes is tried once more after a short pause: a GET changes
 * nothing and nothing has been handed on yet, and through frp a fresh connection can be closed
 * by frps when frpc's work connection is slow to arrive on a busy node. A timeout is not retried.
 */
export async function openAgentStream(
  t: AgentTarget,
  path: string,
  opts: { signal: AbortSignal; headTimeoutMs: number; retryPauseMs?: number },
): Promise<AgentStreamAnswer> {
  try {
    return await openOnce(t, path, opts);
  } catch (e) {
    if (e instanceof HeadTimeout) throw e;
    // An aborted call ends here: the pause rejects at once on the aborted signal.
    await delay(opts.retryPauseMs ?? 250, undefined, { signal: opts.signal });
    return openOnce(t, path, opts);
  }
}

class HeadTimeout extends Error {}

function openOnce(
  t: AgentTarget,
  path: string,
  opts: { signal: AbortSignal; headTimeoutMs: number },
): Promise<AgentStreamAnswer> {
  const url = new URL(path, `${t.baseUrl}/`);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'GET',
      headers: { authorization: `Bearer ${t.token}` },
      signal: opts.signal,
    });
    const timer = setTimeout(
      () => req.destroy(new HeadTimeout(`no answer within ${opts.headTimeoutMs} ms`)),
      opts.headTimeoutMs,
    );
    req.on('response', (res) => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 500, body: res });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end();
  });
}

/** readSmallBody is used to read an agent's error answer, at most `max` bytes of it. */
export async function readSmallBody(body: IncomingMessage, max = 64 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    if (!Buffer.isBuffer(chunk)) continue;
    chunks.push(chunk);
    size += chunk.length;
    if (size >= max) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, max);
}
