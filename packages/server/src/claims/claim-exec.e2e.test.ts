// Exec in claim containers with real agents and Docker, in direct mode and through the frp
// tunnel: one-shot commands with their exit codes, stdin, an interactive TTY that is resized,
// the events it leaves, access before the upgrade, and a deleted claim ending the session.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ExecProtocol } from '@utopia/shared';
import { AGENT_MODES, startCluster, type TestCluster } from '../testing/cluster.js';
import { createClaimAs, getClaimAs, sleeperClaim, waitForPhase } from '../testing/claims-client.js';
import { execPath, openExec, upgradeStatus } from '../testing/exec-client.js';
import { testDatabases } from '../testing/harness.js';

for (const dbKind of testDatabases()) {
  for (const [mode, overrides] of AGENT_MODES) {
    describe(`claim exec, ${mode} mode (${dbKind})`, () => {
      let c: TestCluster;
      let alice: string;
      let bob: string;
      let claimId: string;
      before(async () => {
        c = await startCluster(dbKind, [2], overrides);
        alice = (await c.t.createUser('alice')).token;
        bob = (await c.t.createUser('bob')).token;
        claimId = (await createClaimAs(c.t, alice, sleeperClaim(1))).id;
        await waitForPhase(c.t, alice, claimId, 'Running', 60_000);
      });
      after(() => c.close());

      test('echo hi: its output and exit code 0, recorded as claim events', async () => {
        const exec = await openExec(c.t, alice, execPath(claimId, { command: ['echo', 'hi'] }));
        assert.equal(exec.protocol, ExecProtocol.V5);
        const end = await exec.closed;
        assert.equal(exec.stdout(), 'hi\n');
        assert.equal(end.code, 1000);
        assert.deepEqual(end.status, { metadata: {}, status: 'Success' });
        const claim = await getClaimAs(c.t, alice, claimId);
        const events = (claim?.events ?? []).map((e) => `${e.reason}: ${e.message}`);
        assert.ok(
          events.includes('ExecStarted: alice started exec ["echo","hi"]'),
          events.join('|'),
        );
        assert.ok(events.includes('ExecFinished: exec ["echo","hi"] by alice: exit code 0'));
      });

      test("sh -c 'exit 3': stdout, stderr and the non-zero exit code", async () => {
        const script = 'echo out; echo err >&2; exit 3';
        const path = execPath(claimId, { command: ['sh', '-c', script] });
        const exec = await openExec(c.t, alice, path);
        const end = await exec.closed;
        assert.equal(exec.stdout(), 'out\n');
        assert.equal(exec.stderr(), 'err\n');
        assert.equal(end.exitCode, 3);
        assert.deepEqual(end.status, {
          metadata: {},
          status: 'Failure',
          message: 'command terminated with non-zero exit code: 3',
          reason: 'NonZeroExitCode',
          details: { causes: [{ reason: 'ExitCode', message: '3' }] },
        });
      });

      test('stdin reaches the command; closing channel 0 is its EOF', async () => {
        const path = execPath(claimId, { command: ['cat'], stdin: true });
        const exec = await openExec(c.t, alice, path);
        exec.stdin('hello\n');
        await exec.waitForStdout('the echo', (s) => s === 'hello\n');
        exec.closeStdin();
        assert.equal((await exec.closed).exitCode, 0);
      });

      test('an interactive shell gets a TTY of the size it asks for', async () => {
        const path = execPath(claimId, { command: ['sh'], stdin: true, tty: true });
        const exec = await openExec(c.t, alice, path);
        exec.resize(123, 45);
        // A moment for the resize to land before the shell reads the size.
        await new Promise((r) => setTimeout(r, 300));
        exec.stdin('stty size\n');
        await exec.waitForStdout('the new size', (s) => s.includes('45 123'));
        exec.resize(80, 24);
        await new Promise((r) => setTimeout(r, 300));
        exec.stdin('stty size\n');
        await exec.waitForStdout('the second size', (s) => s.includes('24 80'));
        exec.stdin('exit 5\n');
        assert.equal((await exec.closed).exitCode, 5);
      });

      test('v4.channel.k8s.io is spoken too', async () => {
        const path = execPath(claimId, { command: ['echo', 'four'] });
        const exec = await openExec(c.t, alice, path, [ExecProtocol.V4]);
        assert.equal(exec.protocol, ExecProtocol.V4);
        assert.equal((await exec.closed).exitCode, 0);
        assert.equal(exec.stdout(), 'four\n');
      });

      test('access: another user 404, node credentials 403, no token 401, before any upgrade', async () => {
        const path = execPath(claimId, { command: ['true'] });
        assert.equal(await upgradeStatus(c.t, bob, path), 404);
        const node = c.nodes[0]?.agent?.identity.credential ?? '';
        assert.equal(await upgradeStatus(c.t, node, path), 403);
        assert.equal(await upgradeStatus(c.t, undefined, path), 401);
        assert.equal(await upgradeStatus(c.t, await c.t.adminToken(), path), 101);
        assert.equal(await upgradeStatus(c.t, alice, path, []), 400);
        assert.equal(await upgradeStatus(c.t, alice, `/api/gpu-claims/${claimId}/exec`), 400);
        const plain = await c.t.api('GET', path, { token: alice });
        assert.equal(plain.status, 426);
      });

      test("a deleted claim's open exec ends", async () => {
        const doomed = await createClaimAs(c.t, alice, sleeperClaim(1));
        await waitForPhase(c.t, alice, doomed.id, 'Running', 60_000);
        const path = execPath(doomed.id, { command: ['sleep', '3600'], stdin: true });
        const exec = await openExec(c.t, alice, path);
        await c.t.api('DELETE', `/api/gpu-claims/${doomed.id}`, { token: alice });
        const end = await Promise.race([
          exec.closed,
          new Promise<never>((_r, reject) =>
            setTimeout(() => reject(new Error('still open')), 20_000),
          ),
        ]);
        assert.notEqual(end.exitCode, 0);
        assert.equal(await upgradeStatus(c.t, alice, path), 404);
      });
    });
  }
}
