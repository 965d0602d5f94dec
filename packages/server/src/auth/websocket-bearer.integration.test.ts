// A browser's WebSocket cannot send an Authorization header, so a WebSocket handshake may carry
// its bearer token as the subprotocol base64url.bearer.authorization.k8s.io.<token>, as with
// Kubernetes. Only on an upgrade request, and never in place of a header that is there.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WS_BEARER_PROTOCOL_PREFIX } from './access.js';
import { startTestServer, type TestServer } from '../testing/harness.js';

function protocolFor(token: string): string {
  return `v5.channel.k8s.io, ${WS_BEARER_PROTOCOL_PREFIX}${Buffer.from(token).toString('base64url')}`;
}

describe('bearer token in Sec-WebSocket-Protocol', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startTestServer('sqlite');
    admin = await t.adminToken();
  });
  after(() => t.close());

  // inject: fetch refuses to send Upgrade and Sec-WebSocket-Protocol itself.
  const me = (headers: Record<string, string>) =>
    t.server.built.app.inject({ method: 'GET', url: '/api/auth/me', headers });
  const UPGRADE = { connection: 'Upgrade', upgrade: 'websocket' };

  test('an upgrade request is authenticated by the token it offers as a subprotocol', async () => {
    const res = await me({ ...UPGRADE, 'sec-websocket-protocol': protocolFor(admin) });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().username, 'admin');
  });

  test('a plain request cannot use the subprotocol', async () => {
    const res = await me({ 'sec-websocket-protocol': protocolFor(admin) });
    assert.equal(res.statusCode, 401);
  });

  test('a bad, tampered or malformed token offered so is a 401', async () => {
    for (const protocol of [
      protocolFor(`${admin}x`),
      protocolFor('utp_nope.nope'),
      `${WS_BEARER_PROTOCOL_PREFIX}not+base64/url`,
      `${WS_BEARER_PROTOCOL_PREFIX}${Buffer.from('two words').toString('base64url')}`,
      WS_BEARER_PROTOCOL_PREFIX,
    ]) {
      const res = await me({ ...UPGRADE, 'sec-websocket-protocol': protocol });
      assert.equal(res.statusCode, 401, protocol);
    }
  });

  test('an Authorization header wins over the subprotocol', async () => {
    const res = await me({
      ...UPGRADE,
      authorization: 'Bearer wrong',
      'sec-websocket-protocol': protocolFor(admin),
    });
    assert.equal(res.statusCode, 401);
  });
});
