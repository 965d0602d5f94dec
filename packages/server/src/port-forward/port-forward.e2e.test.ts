// Port-forward with real agents and Docker, in direct mode and through the frp tunnel: bytes
// both ways to a TCP echo server in the container, close semantics on both sides, refusals
// before the upgrade, access, and the end of open streams when the claim is deleted.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { AGENT_MODES, startCluster, TEST_IMAGE, type TestCluster } from '../testing/cluster.js';
import { createClaimAs, waitForPhase } from '../testing/claims-client.js';
import { testDatabases } from '../testing/harness.js';
import {
  connectWebSocket,
  exchange,
  openPortForward,
  portForwardUrl,
  readUntilClose,
  type Refusal,
} from '../testing/port-forward-client.js';

const ECHO = 7000;
const HELLO = 7001;
/** Reads until EOF, then notes it; EOF_LOG serves the notes. */
const EOF_SINK = 7002;
const EOF_LOG = 7003;

/** SERVICES is used as the container's command: busybox nc servers, one shell per connection. */
export const SERVICES = [
  `busybox nc -ll -p ${ECHO} -e cat &`,
  `busybox nc -ll -p ${HELLO} -e echo hello &`,
  `busybox nc -ll -p ${EOF_SINK} -e sh -c 'cat > /dev/null; echo eof >> /tmp/eofs' &`,
  `touch /tmp/eofs; busybox nc -ll -p ${EOF_LOG} -e cat /tmp/eofs &`,
  'wait',
].join('\n');

function servicesClaim(): { spec: Record<string, unknown> } {
  return {
    spec: { image: TEST_IMAGE, resources: { gpuCount: 1 }, command: ['sh', '-c', SERVICES] },
  };
}

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function isRefusal(x: WebSocket | Refusal): x is Refusal {
  return !(x instanceof WebSocket);
}

for (const dbKind of testDatabases()) {
  for (const [mode, overrides] of AGENT_MODES) {
    describe(`port-forward, ${mode} mode (${dbKind})`, () => {
      let c: TestCluster;
      let alice: string;
      let bob: string;
      let claimId: string;
      before(async () => {
        c = await startCluster(dbKind, [2], overrides);
        alice = (await c.t.createUser('alice')).token;
        bob = (await c.t.createUser('bob')).token;
        claimId = (await createClaimAs(c.t, alice, servicesClaim())).id;
        await waitForPhase(c.t, alice, claimId, 'Running', 60_000);
      });
      after(() => c.close());

      test('1 MiB to a TCP echo server comes back unchanged', async () => {
        const ws = await openPortForward(c.t, alice, claimId, ECHO);
        const payload = randomBytes(1024 * 1024);
        const back = await exchange(ws, payload);
        assert.equal(back.length, payload.length);
        assert.equal(sha256(back), sha256(payload));
        ws.close();
      });

      test('the container closing its side closes the WebSocket (1000) after its bytes', async () => {
        const ws = await openPortForward(c.t, alice, claimId, HELLO);
        const end = await readUntilClose(ws);
        assert.equal(end.code, 1000);
        assert.equal(end.data.toString(), 'hello\n');
      });

      test("the client closing its side ends the container's connection", async () => {
        const ws = await openPortForward(c.t, alice, claimId, EOF_SINK);
        ws.send(Buffer.from('some bytes'));
        ws.close(1000);
        // The sink notes the EOF it saw; read the notes through another port-forward.
        const deadline = Date.now() + 10_000;
        let notes = '';
        while (!notes.includes('eof') && Date.now() < deadline) {
          notes = (
            await readUntilClose(await openPortForward(c.t, alice, claimId, EOF_LOG))
          ).data.toString();
          if (!notes.includes('eof')) await new Promise((r) => setTimeout(r, 200));
        }
        assert.equal(notes, 'eof\n');
      });

      test('a port nobody listens on is a clear 502 before any upgrade', async () => {
        const refused = await connectWebSocket(portForwardUrl(c.t, claimId, 7999), alice);
        assert.ok(isRefusal(refused));
        assert.equal(refused.status, 502);
        assert.equal(refused.code, 'PORT_UNREACHABLE');
        assert.match(refused.message, new RegExp(`port 7999 in the container of claim ${claimId}`));
      });

      test('access: another user 404, node 403, no token 401; bad port 400; no upgrade 426', async () => {
        const url = portForwardUrl(c.t, claimId, ECHO);
        const status = async (token: string | undefined, target = url): Promise<number> => {
          const r = await connectWebSocket(target, token);
          if (!isRefusal(r)) {
            r.close();
            return 101;
          }
          return r.status;
        };
        assert.equal(await status(bob), 404);
        assert.equal(await status(c.nodes[0]?.agent?.identity.credential ?? ''), 403);
        assert.equal(await status(undefined), 401);
        assert.equal(await status(alice, portForwardUrl(c.t, claimId, 0)), 400);
        assert.equal(await status(alice, portForwardUrl(c.t, claimId, 'ssh')), 400);
        assert.equal(await status(alice, portForwardUrl(c.t, 'no-such-claim', ECHO)), 404);
        assert.equal(await status(await c.t.adminToken()), 101);
        const plain = await c.t.api('GET', `/api/gpu-claims/${claimId}/port-forward?port=${ECHO}`, {
          token: alice,
        });
        assert.equal(plain.status, 426);
        assert.equal(plain.json.code, 'UPGRADE_REQUIRED');
      });

      test('deleting the claim ends its open port-forwards', async () => {
        const doomed = (await createClaimAs(c.t, alice, servicesClaim())).id;
        await waitForPhase(c.t, alice, doomed, 'Running', 60_000);
        const ws = await openPortForward(c.t, alice, doomed, ECHO);
        const ended = readUntilClose(ws);
        await c.t.api('DELETE', `/api/gpu-claims/${doomed}`, { token: alice });
        const end = await Promise.race([
          ended,
          new Promise<never>((_r, reject) =>
            setTimeout(() => reject(new Error('still open 15 s after the delete')), 15_000),
          ),
        ]);
        assert.notEqual(end.code, 1006, 'closed without a close frame');
      });
    });
  }
}
