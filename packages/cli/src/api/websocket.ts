// Opening the API's WebSocket routes (exec, port-forward) with the CLI's credentials. A refused
// upgrade answers the API's usual error body, which becomes a CliError like any other call's.
import type { IncomingMessage } from 'node:http';
import { ErrorBody, wireCheck } from '@utopia/shared';
import WebSocket from 'ws';
import { CliError } from '../errors.js';
import type { ApiClient, QueryValue } from './api-client.js';

const isErrorBody = wireCheck(ErrorBody);

/** openApiWebSocket is used to connect; it resolves once the upgrade succeeded. */
export function openApiWebSocket(
  api: ApiClient,
  path: string,
  query: Record<string, QueryValue>,
  protocols: readonly string[] = [],
): Promise<WebSocket> {
  const url = api.url(path, query);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, [...protocols], {
    headers: api.authHeaders(),
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        if (text.length < 65536) text += d;
      });
      res.on('end', () => {
        ws.terminate();
        reject(refusal(res.statusCode ?? 0, text));
      });
    });
    ws.once('error', (err) =>
      reject(
        new CliError(`cannot reach ${api.connection.server}: ${err.message}`, {
          code: 'UNREACHABLE',
        }),
      ),
    );
  });
}

function refusal(status: number, text: string): CliError {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (isErrorBody(data)) return new CliError(data.message, { code: data.code, status });
  return new CliError(`the server refused the connection: HTTP ${status}`, {
    code: `HTTP_${status}`,
    status,
  });
}
