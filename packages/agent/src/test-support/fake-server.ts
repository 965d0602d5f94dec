// A stand-in for utopia-server that serves exactly the registration contract; tests only.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** RecordedCall is used to assert what the agent sent. */
export interface RecordedCall {
  method: string;
  url: string;
  authorization: string | undefined;
  body: Record<string, unknown>;
}

/** A stand-in for utopia-server that serves exactly the registration contract. */
export class FakeServer {
  calls: RecordedCall[] = [];
  validJoinToken = 'join-ok';
  knownCredentials = new Map<string, string>();
  failNext = 0;
  #registered = 0;
  readonly #nodeIdPrefix: string;

  /**
   * Test files that share one Docker Engine give each server its own node id prefix: agents of
   * two files must never both be "node-1" there, or each would take the other's containers.
   */
  constructor(nodeIdPrefix = 'node') {
    this.#nodeIdPrefix = nodeIdPrefix;
  }
  server: Server = createServer((req, res) => void this.handle(req, res));

  /** forget is used to play a server that deleted the node (or lost its database). */
  forget(nodeId: string): void {
    for (const [credential, id] of this.knownCredentials) {
      if (id === nodeId) this.knownCredentials.delete(credential);
    }
  }

  async listen(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>;
    this.calls.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      body,
    });
    const reply = (status: number, json: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };
    if (this.failNext > 0) {
      this.failNext--;
      return reply(503, {
        statusCode: 503,
        code: 'UNAVAILABLE',
        error: 'Service Unavailable',
        message: 'starting',
      });
    }
    if (req.method === 'POST' && req.url === '/api/nodes/register') {
      if (body.joinToken !== this.validJoinToken) {
        return reply(401, {
          statusCode: 401,
          code: 'JOIN_TOKEN_INVALID',
          error: 'Unauthorized',
          message: 'join token is invalid, expired or revoked',
        });
      }
      const nodeId = `${this.#nodeIdPrefix}-${++this.#registered}`;
      this.knownCredentials.set(`cred-${nodeId}`, nodeId);
      return reply(201, { nodeId, credential: `cred-${nodeId}`, agentToken: `agent-${nodeId}` });
    }
    if (req.method === 'PUT' && req.url === '/api/nodes/self') {
      const nodeId = this.knownCredentials.get(
        (req.headers.authorization ?? '').replace(/^Bearer /, ''),
      );
      if (!nodeId) {
        return reply(401, {
          statusCode: 401,
          code: 'NODE_CREDENTIAL_INVALID',
          error: 'Unauthorized',
          message: 'unknown node credential',
        });
      }
      return reply(200, { nodeId });
    }
    reply(404, {});
  }
}
