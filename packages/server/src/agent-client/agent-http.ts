// One request/answer to an agent over node:http(s) with keep-alive: a burst of creates and the
// health polls of a thousand nodes reuse their connections instead of opening one per call, and
// node:http costs a fraction of the CPU that fetch (undici's WHATWG streams and objects) does per
// call. Streams and WebSockets have their own paths (agent-stream.ts, agent-websocket.ts).
import { Agent as HttpAgent, request as httpRequest, type ClientRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AgentTarget } from './agent-client.js';

/** AgentHttpAnswer is used to hand on one answer: status and the whole body as text. */
export interface AgentHttpAnswer {
  status: number;
  text: string;
}

/** AgentMethod is used for the methods the agent API has. */
export type AgentMethod = 'GET' | 'POST' | 'DELETE';

/** AgentHttp is used by the agent client for every plain call. */
export interface AgentHttp {
  send(t: AgentTarget, method: AgentMethod, path: string, body?: unknown): Promise<AgentHttpAnswer>;
}

// Idle connections (unref'd by node:http, so they keep no process alive) are dropped after this:
// longer than the health poll's interval (5 s), so each poll reuses its node's connection (through
// frp, a fresh one is also a fresh work connection), and well before an agent's own keep-alive
// timeout (Fastify: 72 s), so the agent seldom closes one just as it is reused (that case is
// retried below).
const IDLE_MS = 15_000;
// An answer larger than this is no agent's: refused rather than held in memory.
const MAX_ANSWER_BYTES = 16 * 2 ** 20;

/** createAgentHttp is used once per agent client; `timeoutMs` bounds each call from send to body. */
export function createAgentHttp(opts: { timeoutMs: number }): AgentHttp {
  const agentOpts = { keepAlive: true, timeout: IDLE_MS, scheduling: 'lifo' as const };
  const http = new HttpAgent(agentOpts);
  const https = new HttpsAgent(agentOpts);

  function once(
    t: AgentTarget,
    method: AgentMethod,
    path: string,
    payload: string | undefined,
  ): Promise<AgentHttpAnswer & { reusedSocketReset?: boolean }> {
    const url = new URL(`${t.baseUrl}${path}`);
    const isHttps = url.protocol === 'https:';
    const headers: Record<string, string> = { authorization: `Bearer ${t.token}` };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((resolve, reject) => {
      const req: ClientRequest = (isHttps ? httpsRequest : httpRequest)(url, {
        method,
        headers,
        agent: isHttps ? https : http,
      });
      const timer = setTimeout(
        () => req.destroy(new Error(`no answer within ${opts.timeoutMs} ms`)),
        opts.timeoutMs,
      );
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES)
            req.destroy(new Error(`answer larger than ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 500, text: Buffer.concat(chunks).toString('utf8') });
        });
        // A connection cut halfway through the body.
        res.on('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        // The agent closed an idle connection just as it was reused: nothing reached it.
        if (req.reusedSocket && isReset(err))
          resolve({ status: 0, text: '', reusedSocketReset: true });
        else reject(err);
      });
      req.end(payload);
    });
  }

  return {
    async send(t, method, path, body) {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const first = await once(t, method, path, payload);
      if (!first.reusedSocketReset) return first;
      const again = await once(t, method, path, payload);
      if (again.reusedSocketReset) throw new Error('connection reset');
      return again;
    },
  };
}

function isReset(err: Error): boolean {
  const code = 'code' in err ? err.code : undefined;
  return code === 'ECONNRESET' || code === 'EPIPE';
}
