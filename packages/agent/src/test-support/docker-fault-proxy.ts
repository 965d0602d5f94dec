// A Unix-socket HTTP proxy in front of the REAL Docker Engine that can answer chosen calls with a
// fault instead (a 5xx while dockerd restarts, a connection cut mid-call); tests only.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Fault is used to say what the proxy does instead of passing a call on: answer with an error,
 * cut the connection before answering ('reset'), or after the answer began ('cut-answer').
 */
export type Fault = { status: number; message: string } | 'reset' | 'cut-answer';

/** FaultRule is used to pick the calls that fail: method and path (API version stripped). */
export type FaultRule = (method: string, path: string) => Fault | undefined;

/** DockerFaultProxy is used to put faults between the agent and the real Docker Engine. */
export class DockerFaultProxy {
  readonly socketPath: string;
  /** Every call that reached the proxy, as "METHOD /path", to show what the agent asked. */
  readonly seen: string[] = [];
  rule: FaultRule = () => undefined;
  readonly #dir: string;
  readonly #upstream: string;
  readonly #server: Server;

  constructor(upstreamSocket: string) {
    this.#upstream = upstreamSocket;
    this.#dir = mkdtempSync(join(tmpdir(), 'utopia-docker-proxy-'));
    this.socketPath = join(this.#dir, 'docker.sock');
    this.#server = createServer((req, res) => {
      const method = req.method ?? 'GET';
      const path = (req.url ?? '/').replace(/^\/v[0-9.]+\//, '/');
      this.seen.push(`${method} ${path}`);
      const fault = this.rule(method, path.split('?')[0] ?? path);
      if (fault === 'reset') {
        req.socket.destroy();
        return;
      }
      if (fault === 'cut-answer') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('[{"Id":', () => req.socket.destroy());
        return;
      }
      if (fault) {
        res.writeHead(fault.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: fault.message }));
        return;
      }
      this.#forward(
        req,
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
        () => res.destroy(),
      );
    });
  }

  #forward(
    req: IncomingMessage,
    onResponse: (up: IncomingMessage) => void,
    onError: () => void,
  ): void {
    const up = request(
      { socketPath: this.#upstream, path: req.url, method: req.method, headers: req.headers },
      onResponse,
    );
    up.on('error', onError);
    req.pipe(up);
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.#server.listen(this.socketPath, resolve));
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
