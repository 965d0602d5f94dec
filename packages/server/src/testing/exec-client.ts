// A client of GET /api/gpu-claims/:id/exec for tests: Kubernetes' channel framing over ws.
import { ExecChannel, ExecProtocol, exitCodeOf } from '@utopia/shared';
import { WebSocket, type RawData } from 'ws';
import type { TestServer } from './harness.js';

/** ExecClient is used to drive one exec and read what came back on each channel. */
export interface ExecClient {
  protocol: string;
  stdout(): string;
  stderr(): string;
  /** Resolves when the socket closed: its close code and the channel 3 status, if any. */
  closed: Promise<{ code: number; status: unknown; exitCode: number | null }>;
  stdin(text: string): void;
  resize(width: number, height: number): void;
  /** closeStdin is used to send v5's close of channel 0 (EOF for the command). */
  closeStdin(): void;
  waitForStdout(what: string, ok: (text: string) => boolean, timeoutMs?: number): Promise<void>;
  close(): void;
}

/** ExecParams is used to build the exec query. */
export interface ExecParams {
  command: string[];
  stdin?: boolean;
  tty?: boolean;
}

/** execPath is used to build the route's path with its repeated command= parameters. */
export function execPath(claimId: string, q: ExecParams): string {
  const params = new URLSearchParams();
  for (const part of q.command) params.append('command', part);
  if (q.stdin !== undefined) params.set('stdin', String(q.stdin));
  if (q.tty !== undefined) params.set('tty', String(q.tty));
  return `/api/gpu-claims/${claimId}/exec?${params.toString()}`;
}

/**
 * openExec is used to start an exec; it rejects with `HTTP <status>` when the server refuses
 * the upgrade, so access tests can read the status.
 */
export function openExec(
  t: TestServer,
  token: string | undefined,
  path: string,
  protocols: string[] = [ExecProtocol.V5],
): Promise<ExecClient> {
  const url = `${t.url.replace(/^http/, 'ws')}${path}`;
  const ws = new WebSocket(url, protocols, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  let out = '';
  let err = '';
  let status: unknown;
  ws.on('message', (data: RawData) => {
    const frame = Buffer.isBuffer(data) ? data : Buffer.from(String(data));
    const payload = frame.subarray(1).toString('utf8');
    if (frame[0] === ExecChannel.Stdout) out += payload;
    else if (frame[0] === ExecChannel.Stderr) err += payload;
    else if (frame[0] === ExecChannel.Status) status = JSON.parse(payload);
  });
  const closed = new Promise<{ code: number; status: unknown; exitCode: number | null }>((r) =>
    ws.once('close', (code) => r({ code, status, exitCode: exitCodeOf(status) })),
  );
  const send = (channel: number, payload: Buffer): void =>
    ws.send(Buffer.concat([Buffer.from([channel]), payload]));
  const client: ExecClient = {
    get protocol() {
      return ws.protocol;
    },
    stdout: () => out,
    stderr: () => err,
    closed,
    stdin: (text) => send(ExecChannel.Stdin, Buffer.from(text)),
    resize: (width, height) =>
      send(ExecChannel.Resize, Buffer.from(JSON.stringify({ Width: width, Height: height }))),
    closeStdin: () => send(ExecChannel.Close, Buffer.from([ExecChannel.Stdin])),
    async waitForStdout(what, ok, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!ok(out)) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}; stdout ${JSON.stringify(out)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => ws.close(),
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(client));
    // With a listener here ws leaves the refused request to us: it must be ended, or its
    // connection stays open (and the server's close waits for it).
    ws.once('unexpected-response', (req, res) => {
      req.destroy();
      reject(new Error(`HTTP ${res.statusCode}`));
    });
    ws.once('error', reject);
  });
}

/** upgradeStatus is used by access tests: the HTTP status of a refused upgrade, 101 if opened. */
export async function upgradeStatus(
  t: TestServer,
  token: string | undefined,
  path: string,
  protocols?: string[],
): Promise<number> {
  try {
    const c = await openExec(t, token, path, protocols);
    c.close();
    return 101;
  } catch (e) {
    const m = /^HTTP (\d+)$/.exec(e instanceof Error ? e.message : '');
    if (!m) throw e;
    return Number(m[1]);
  }
}
