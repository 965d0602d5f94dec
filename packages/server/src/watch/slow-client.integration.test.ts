// A client that stops reading: the server does not buffer for it without bound, it ends the
// stream once a write has waited UTOPIA_WATCH_STALL_MS, and the client can resume.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../testing/cluster.js';
import { randomUUID } from 'node:crypto';
import { insertClaim, newClaimRow } from '../claims/claims.repository.js';
import { isoAt } from '../db/time.js';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

// ~40 KB per claim, so the list alone is far more than the socket buffers hold.
const BIG_ENV = Object.fromEntries(
  Array.from({ length: 40 }, (_, i) => [`VAR_${i}`, 'x'.repeat(1000)]),
);
const SPEC = {
  image: 'busybox:latest',
  resources: { gpuCount: 1 },
  nodeSelector: { never: 'x' },
  env: BIG_ENV,
};

for (const dbKind of testDatabases()) {
  describe(`a watch client that stops reading (${dbKind})`, () => {
    let t: TestServer;
    let token: string;
    before(async () => {
      t = await startTestServer(dbKind, { UTOPIA_WATCH_STALL_MS: '300' });
      const user = await t.createUser('sloth');
      token = user.token;
      // Straight into the database, in one transaction: the API would take minutes for these.
      await t.server.ctx.db.kysely.transaction().execute(async (trx) => {
        for (let i = 0; i < 400; i++) {
          const id = randomUUID();
          const at = isoAt(Date.now());
          await insertClaim(
            trx,
            newClaimRow({ id, name: `big-${i}`, ownerId: user.id, spec: SPEC, at }),
          );
        }
      });
    });
    after(() => t.close());

    test('is disconnected once a write waits past the stall limit', async () => {
      const url = new URL(t.url);
      const socket = connect(Number(url.port), url.hostname);
      let received = 0;
      let closed = false;
      let draining = false;
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (!draining) socket.pause(); // read one chunk, then stop reading
      });
      socket.on('close', () => (closed = true));
      socket.on('error', () => (closed = true));
      socket.write(
        `GET /api/gpu-claims?watch=1 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`,
      );
      await waitFor('the stream open', async () => t.server.ctx.watch.openStreams() === 1, 10_000);
      await waitFor(
        'the server to end it',
        async () => t.server.ctx.watch.openStreams() === 0,
        20_000,
      );
      const atEnd = received;
      draining = true;
      socket.resume();
      await waitFor('the connection closed', async () => closed, 10_000);
      // What was still in flight arrives, then the connection ends short of the full list.
      assert.ok(received >= atEnd);
      assert.ok(received < 16_000_000, `the client got ${received} bytes of ~16 MB`);
    });
  });
}
