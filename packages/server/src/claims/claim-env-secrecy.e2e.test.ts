// A claim's env values reach its container and nothing else: a real server and agent, real
// Docker, both logging at trace level, and neither log ever shows a value.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { containerEnv, startCluster, waitFor, type TestCluster } from '../testing/cluster.js';
import {
  createClaimAs,
  sleeperClaim,
  waitForGone,
  waitForPhase,
} from '../testing/claims-client.js';
import { testDatabases } from '../testing/harness.js';
import { captureLog, type CapturedLog } from '../testing/log-capture.js';

const SECRET = `s3cret-${randomBytes(8).toString('hex')}`;

for (const dbKind of testDatabases()) {
  describe(`claim env values reach only the container (${dbKind})`, () => {
    let c: TestCluster;
    let serverLog: CapturedLog;
    let agentLog: CapturedLog;
    let user: string;

    before(async () => {
      serverLog = captureLog('trace');
      agentLog = captureLog('trace');
      c = await startCluster(dbKind, [1], {}, undefined, {
        server: serverLog.logger,
        agents: agentLog.logger,
      });
      user = (await c.t.createUser('envuser')).token;
      const admin = await c.t.adminToken();
      await waitFor('the node Online', async () => {
        const res = await c.t.api('GET', '/api/nodes', { token: admin });
        const items = res.json.items as { status: string }[];
        return items.length === 1 && items[0]?.status === 'Online';
      });
    });
    after(() => c.close());

    test('Running with the value in the container; no log line and no event shows it', async () => {
      const claim = await createClaimAs(c.t, user, sleeperClaim(1, { env: { API_KEY: SECRET } }));
      const running = await waitForPhase(c.t, user, claim.id, 'Running', 20_000);
      assert.ok(running.status.containerId);
      assert.ok((await containerEnv(running.status.containerId)).includes(`API_KEY=${SECRET}`));
      const shown = JSON.stringify({ status: running.status, events: running.events });
      assert.ok(!shown.includes(SECRET), shown);
      await c.t.api('DELETE', `/api/gpu-claims/${claim.id}`, { token: user });
      await waitForGone(c.t, user, claim.id, 20_000);
      assert.ok(serverLog.text().includes('incoming request'), 'the server did log at trace');
      assert.ok(!serverLog.text().includes(SECRET), 'the secret is not in the server log');
      assert.ok(!agentLog.text().includes(SECRET), 'the secret is not in the agent log');
    });
  });
}
