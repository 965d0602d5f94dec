// Upgrade requests go through the server's hooks like plain ones: a refusal is an HTTP answer,
// after which the server closes the socket (an upgrade socket is no longer the HTTP server's,
// so one left open would keep close() waiting forever).
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

/** refuse is used to send an upgrade and read the status and whether the socket then closed. */
function refuse(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => reject(new Error('upgraded')));
    ws.once('error', () => undefined);
    ws.once('unexpected-response', (_req, res: IncomingMessage) => {
      res.resume();
      const timer = setTimeout(() => resolve({ status: res.statusCode ?? 0, closed: false }), 3000);
      res.socket.once('close', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, closed: true });
      });
    });
  });
}

for (const dbKind of testDatabases().slice(0, 1)) {
  describe(`WebSocket upgrades behind the access hooks (${dbKind})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer(dbKind);
    });
    after(() => t.close());

    test('no token: 401, and the server closes the socket', async () => {
      const url = `${t.url.replace(/^http/, 'ws')}/api/gpu-claims/x/port-forward?port=1`;
      assert.deepEqual(await refuse(url, {}), { status: 401, closed: true });
    });

    test('an unknown claim: 404, and the server closes the socket', async () => {
      const url = `${t.url.replace(/^http/, 'ws')}/api/gpu-claims/x/port-forward?port=1`;
      const token = await t.adminToken();
      assert.deepEqual(await refuse(url, { authorization: `Bearer ${token}` }), {
        status: 404,
        closed: true,
      });
    });
  });
}
