// The HTTP proxy with real agents and Docker, in direct mode and through the frp tunnel: a page
// served from a claim's container on the proxy's own origin, WebSocket (upgrade) pass-through,
// tickets and cookies that open one claim port only, access, and a browser (Debian's chromium)
// showing that a script in the proxied page cannot call the API as its viewer.
import assert from 'node:assert/strict';
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { chromium } from 'playwright-core';
import { AGENT_MODES, startCluster, TEST_IMAGE, type TestCluster } from '../testing/cluster.js';
import { createClaimAs, waitForPhase } from '../testing/claims-client.js';
import { testDatabases } from '../testing/harness.js';

const HTTP = 8080;
const UPGRADE = 8081;
// RFC 6455's sample key and its accept value: the container's shell cannot hash, so the test
// sends this key and the container answers with the matching accept.
const WS_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const WS_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

// The page tries what a hostile page would: read cookies and storage, call the API as the viewer.
const PAGE = `<!doctype html><title>container page</title><h1>hello from the container</h1>
<script>
(async () => {
  const out = { cookie: document.cookie, storage: Object.keys(localStorage) };
  try {
    const r = await fetch(API + '/api/auth/me', { credentials: 'include' });
    out.api = r.status;
  } catch (e) { out.api = 'blocked'; }
  document.title = 'done ' + JSON.stringify(out);
})();
</script>`;

/** SERVICES is used as the claim's command: busybox httpd on the proxy path, and an upgrader. */
const SERVICES = [
  `d=/www/proxy/claims/$UTOPIA_CLAIM_ID/${HTTP}; mkdir -p $d`,
  `printf '%s' "<script>const API = '$API_URL';</script>" > $d/index.html`,
  `cat /tmp/page.html >> $d/index.html`,
  `busybox httpd -f -p ${HTTP} -h /www &`,
  `busybox nc -ll -p ${UPGRADE} -e sh -c 'while read -r l; do [ \${#l} -le 1 ] && break; done; printf "HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\nSec-WebSocket-Accept: ${WS_ACCEPT}\\r\\n\\r\\n"; exec cat' &`,
  'wait',
].join('\n');

interface Fetched {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** get is used for one plain request to the proxy origin, cookies given by hand. */
function get(url: string, headers: Record<string, string> = {}): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** cookieOf is used to take the name=value part of a Set-Cookie. */
function cookieOf(res: Fetched): string {
  const set = res.headers['set-cookie']?.[0] ?? '';
  return set.split(';')[0] ?? '';
}

for (const dbKind of testDatabases()) {
  for (const [mode, overrides] of AGENT_MODES) {
    describe(`HTTP proxy, ${mode} mode (${dbKind})`, () => {
      let c: TestCluster;
      let alice: string;
      let bob: string;
      let claimId: string;
      let otherClaimId: string;
      const session = async (token: string, id: string, port: number) =>
        c.t.api('POST', `/api/gpu-claims/${id}/proxy-sessions`, { token, body: { port } });
      /** login is used to turn a fresh ticket into a proxy cookie. */
      const login = async (id = claimId, port = HTTP): Promise<string> => {
        const s = await session(alice, id, port);
        assert.equal(s.status, 201, JSON.stringify(s.body));
        const redeemed = await get(String(s.json.url));
        assert.equal(redeemed.status, 303);
        return cookieOf(redeemed);
      };

      before(async () => {
        c = await startCluster(dbKind, [2], { ...overrides, UTOPIA_PROXY_LISTEN: '127.0.0.1:0' });
        alice = (await c.t.createUser('alice')).token;
        bob = (await c.t.createUser('bob')).token;
        const spec = {
          image: TEST_IMAGE,
          resources: { gpuCount: 1 },
          env: { API_URL: c.t.url },
          command: ['sh', '-c', `cat > /tmp/page.html <<'EOF'\n${PAGE}\nEOF\n${SERVICES}`],
        };
        claimId = (await createClaimAs(c.t, alice, { spec })).id;
        otherClaimId = (await createClaimAs(c.t, alice, { spec })).id;
        await waitForPhase(c.t, alice, claimId, 'Running', 60_000);
        await waitForPhase(c.t, alice, otherClaimId, 'Running', 60_000);
      });
      after(() => c.close());

      test('a one-time link sets a claim-port cookie and the page comes from the container', async () => {
        const s = await session(alice, claimId, HTTP);
        assert.equal(s.status, 201);
        const url = new URL(String(s.json.url));
        // Another origin than the API's.
        assert.notEqual(url.origin, new URL(c.t.url).origin);
        const redeemed = await get(url.toString());
        assert.equal(redeemed.status, 303);
        assert.equal(redeemed.headers.location, `/proxy/claims/${claimId}/${HTTP}/`);
        const set = redeemed.headers['set-cookie']?.[0] ?? '';
        assert.match(set, new RegExp(`Path=/proxy/claims/${claimId}/${HTTP}/`));
        assert.match(set, /HttpOnly/);
        assert.match(set, /SameSite=Lax/);
        // The ticket works once.
        assert.equal((await get(url.toString())).status, 401);
        const page = await waitForPage(
          `${url.origin}/proxy/claims/${claimId}/${HTTP}/`,
          cookieOf(redeemed),
        );
        assert.equal(page.status, 200);
        assert.match(page.body, /hello from the container/);
      });

      test('no cookie, a forged one, or one of another claim port is refused', async () => {
        const origin = new URL(String((await session(alice, claimId, HTTP)).json.url)).origin;
        const path = `${origin}/proxy/claims/${claimId}/${HTTP}/`;
        assert.equal((await get(path)).status, 401);
        const good = await login();
        const [name, value] = good.split('=');
        const forged = `${name}=${(value ?? '').slice(0, -2)}xx`;
        assert.equal((await get(path, { cookie: forged })).status, 401);
        const other = await login(otherClaimId);
        assert.equal((await get(path, { cookie: other })).status, 401);
        assert.equal(
          (await get(`${origin}/proxy/claims/${claimId}/9999/`, { cookie: good })).status,
          401,
        );
        assert.equal((await get(`${origin}/proxy/session?ticket=nope`)).status, 401);
        assert.equal(
          (await get(`${origin}/api/auth/me`, { authorization: `Bearer ${alice}` })).status,
          404,
        );
      });

      test('an upgrade passes through to the container and bytes flow both ways', async () => {
        const cookie = await login(claimId, UPGRADE);
        const origin = new URL(String((await session(alice, claimId, UPGRADE)).json.url)).origin;
        const { res, socket } = await upgradeTo(
          `${origin}/proxy/claims/${claimId}/${UPGRADE}/ws`,
          cookie,
        );
        assert.equal(res.statusCode, 101);
        assert.equal(res.headers['sec-websocket-accept'], WS_ACCEPT);
        const echoed = new Promise<string>((resolve) => {
          let got = '';
          socket.on('data', (chunk: Buffer) => {
            got += chunk.toString();
            if (got.includes('ping-pong')) resolve(got);
          });
        });
        socket.write('ping-pong');
        assert.equal(await echoed, 'ping-pong');
        socket.destroy();
      });

      test('access to proxy-sessions: other user 404, node 403, no token 401, bad port 400', async () => {
        assert.equal((await session(bob, claimId, HTTP)).status, 404);
        const node = c.nodes[0]?.agent?.identity.credential ?? '';
        assert.equal((await session(node, claimId, HTTP)).status, 403);
        const anon = await c.t.api('POST', `/api/gpu-claims/${claimId}/proxy-sessions`, {
          body: { port: HTTP },
        });
        assert.equal(anon.status, 401);
        assert.equal((await session(alice, claimId, 0)).status, 400);
        assert.equal((await session(await c.t.adminToken(), claimId, HTTP)).status, 201);
      });

      test('in a browser, a script in the proxied page cannot call the API as its viewer', async () => {
        const browser = await chromium.launch({
          executablePath: '/usr/bin/chromium',
          args: ['--no-sandbox'],
        });
        try {
          const page = await browser.newPage();
          // The viewer is logged in to the UI's origin, their token in its storage.
          await page.goto(`${c.t.url}/docs`);
          await page.evaluate((token) => localStorage.setItem('utopia.token', token), alice);
          const s = await session(alice, claimId, HTTP);
          await page.goto(String(s.json.url));
          await page.waitForFunction(() => document.title.startsWith('done '), undefined, {
            timeout: 20_000,
          });
          const out: unknown = JSON.parse((await page.title()).slice('done '.length));
          // No cookie or token is readable there, and the API call fails: the browser blocks
          // the cross-origin read (no CORS), and the API would answer 401 anyway (no bearer).
          assert.ok(typeof out === 'object' && out !== null);
          const { cookie, storage, api } = Object.fromEntries(Object.entries(out));
          assert.equal(cookie, '');
          assert.deepEqual(storage, []);
          assert.ok(api === 'blocked' || api === 401, `the API answered ${String(api)}`);
          assert.match(await page.content(), /hello from the container/);
        } finally {
          await browser.close();
        }
      });
    });
  }
}

/** waitForPage is used while busybox httpd starts: a 502 is retried for a while. */
async function waitForPage(url: string, cookie: string): Promise<Fetched> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await get(url, { cookie });
    if (res.status !== 502 || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 250));
  }
}

function upgradeTo(url: string, cookie: string): Promise<{ res: IncomingMessage; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      headers: {
        cookie,
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': WS_KEY,
      },
    });
    req.on('upgrade', (res, socket: Socket) => resolve({ res, socket }));
    req.on('response', (res) => reject(new Error(`no upgrade: ${res.statusCode}`)));
    req.on('error', reject);
    req.end();
  });
}
