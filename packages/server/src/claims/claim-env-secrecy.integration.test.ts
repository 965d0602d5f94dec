// A claim's env values are secrets of its owner: the API gives them back to the owner, and
// nothing else shows them: not its events, not its status message, not the server log, not even
// when the database refuses the statement that carries them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { GpuClaim } from '@utopia/shared';
import { createClaimAs, waitForClaim } from '../testing/claims-client.js';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';
import { captureLog, type CapturedLog } from '../testing/log-capture.js';

const SECRET = `s3cret-${randomBytes(8).toString('hex')}`;
const REFUSAL = 'claims refused by a test trigger';

for (const dbKind of testDatabases()) {
  describe(`claim env values stay secret (${dbKind})`, () => {
    let t: TestServer;
    let log: CapturedLog;
    let user: string;

    before(async () => {
      log = captureLog('trace');
      t = await startTestServer(
        dbKind,
        { UTOPIA_RESYNC_INTERVAL_MS: '200' },
        undefined,
        log.logger,
      );
      user = (await t.createUser('keeper')).token;
    });
    after(() => t.close());

    const claimBody = (name: string) => ({
      name,
      spec: {
        image: 'busybox:latest',
        resources: { gpuCount: 1 },
        env: { API_KEY: SECRET },
        nodeSelector: { nowhere: 'true' },
      },
    });

    test('the owner reads them back; events, status and log never show them', async () => {
      const created = await createClaimAs(t, user, claimBody('kept'));
      assert.deepEqual(created.spec.env, { API_KEY: SECRET });
      // The controller has looked at it (and explained why it waits) at least once.
      const seen: GpuClaim = await waitForClaim(t, user, created.id, 'unschedulable', (c) =>
        (c.events ?? []).some((e) => e.reason === 'FailedScheduling'),
      );
      const shown = JSON.stringify({ status: seen.status, events: seen.events });
      assert.ok(!shown.includes(SECRET), shown);
      assert.ok(!log.text().includes(SECRET), 'the secret is nowhere in the log');
    });

    test('a refused env value is not quoted back in the 400', async () => {
      const body = claimBody('too-long');
      body.spec.env = { API_KEY: `${SECRET}${'x'.repeat(8200)}` };
      const res = await t.api('POST', '/api/gpu-claims', { token: user, body });
      assert.equal(res.status, 400);
      assert.equal(res.json.code, 'VALIDATION_FAILED');
      assert.ok(!JSON.stringify(res.body).includes(SECRET), JSON.stringify(res.body));
      assert.ok(!log.text().includes(SECRET), 'the secret is nowhere in the log');
    });

    test('a statement the database refuses is logged without the values it carried', async () => {
      // 1. Make the database refuse every new claim, as a full disk or a too-long value would.
      const db = t.server.ctx.db.kysely;
      await sql
        .raw(
          dbKind === 'mysql'
            ? `create trigger refuse_claims before insert on gpu_claims for each row signal sqlstate '45000' set message_text = '${REFUSAL}'`
            : `create trigger refuse_claims before insert on gpu_claims begin select raise(abort, '${REFUSAL}'); end`,
        )
        .execute(db);
      try {
        // 2. The client gets the masked 500; the log gets the statement, with placeholders.
        const res = await t.api('POST', '/api/gpu-claims', {
          token: user,
          body: claimBody('refused'),
        });
        assert.equal(res.status, 500);
        assert.equal(res.json.code, 'INTERNAL');
        const failed = log.find('request failed');
        assert.equal(failed.length, 1);
        const line = JSON.stringify(failed[0]);
        assert.ok(line.includes(REFUSAL), line);
        assert.ok(!line.includes(SECRET), line);
        if (dbKind === 'mysql') assert.match(line, /insert into `gpu_claims` .*values \(\?, \?/);
        assert.ok(!log.text().includes(SECRET), 'the secret is nowhere in the log');
      } finally {
        await sql.raw('drop trigger refuse_claims').execute(db);
      }
    });
  });
}
