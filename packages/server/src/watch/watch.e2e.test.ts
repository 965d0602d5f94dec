// Watch with real agents and Docker, in direct mode and through the frp tunnel: a claim's whole
// life comes through the stream in order, and a reconnect resumes with no gap and no duplicate.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeWatchEvent, type GpuClaim, type SseMessage } from '@utopia/shared';
import { AGENT_MODES, startCluster, type TestCluster } from '../testing/cluster.js';
import { createClaimAs, sleeperClaim, waitForGone } from '../testing/claims-client.js';
import { testDatabases } from '../testing/harness.js';
import { isGpuClaim, mustWatch, type WatchClient } from '../testing/watch-client.js';

function claimOf(e: SseMessage): GpuClaim | undefined {
  const d = decodeWatchEvent(e, isGpuClaim);
  return d && 'object' in d ? d.object : undefined;
}

function changesOf(w: WatchClient, id: string): SseMessage[] {
  return w.events.filter((e) => e.id !== undefined && e.id !== '' && claimOf(e)?.id === id);
}

for (const dbKind of testDatabases()) {
  for (const [mode, overrides] of AGENT_MODES) {
    describe(`watch with real agents, ${mode} mode (${dbKind})`, () => {
      let c: TestCluster;
      let user: string;
      const streams: WatchClient[] = [];
      before(async () => {
        c = await startCluster(dbKind, [2], overrides);
        user = (await c.t.createUser('wendy')).token;
      });
      after(async () => {
        streams.forEach((w) => w.close());
        await c.close();
      });

      test('Pending → Scheduled → Running → deleted, in order; a reconnect misses nothing', async () => {
        const admin = await c.t.adminToken();
        // 1. An uninterrupted stream to compare with, and the user's own.
        const oracle = await mustWatch(c.t, '/api/gpu-claims?watch=1', { token: admin });
        const first = await mustWatch(c.t, '/api/gpu-claims?watch=1', { token: user });
        streams.push(oracle, first);
        for (const w of [oracle, first])
          await w.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
        // 2. The claim runs; the user's stream drops once it has seen Running.
        const claim = await createClaimAs(c.t, user, sleeperClaim(1));
        await first.waitFor(
          'Running',
          (e) => claimOf(e)?.id === claim.id && claimOf(e)?.status.phase === 'Running',
          60_000,
        );
        const resumeAt = first.lastEventId();
        first.close();
        // 3. Deleted while the client is away; it comes back with Last-Event-ID.
        await c.t.api('DELETE', `/api/gpu-claims/${claim.id}`, { token: user });
        await waitForGone(c.t, user, claim.id, 60_000);
        const resumed = await mustWatch(c.t, '/api/gpu-claims?watch=1', {
          token: user,
          lastEventId: resumeAt,
        });
        streams.push(resumed);
        await resumed.waitFor(
          'DELETED',
          (e) => e.event === 'DELETED' && claimOf(e)?.id === claim.id,
        );
        await oracle.waitFor(
          'DELETED',
          (e) => e.event === 'DELETED' && claimOf(e)?.id === claim.id,
        );

        // The phases in order, from the uninterrupted stream.
        const all = changesOf(oracle, claim.id);
        const phases = all.map((e) =>
          e.event === 'DELETED' ? 'deleted' : claimOf(e)?.status.phase,
        );
        const firstAt = (p: string): number => phases.findIndex((x) => x === p);
        assert.equal(phases[0], 'Pending', phases.join(' → '));
        assert.ok(firstAt('Pending') < firstAt('Scheduled'), phases.join(' → '));
        assert.ok(firstAt('Scheduled') < firstAt('Running'), phases.join(' → '));
        assert.ok(firstAt('Running') < firstAt('Terminating'), phases.join(' → '));
        assert.equal(phases[phases.length - 1], 'deleted', phases.join(' → '));
        assert.ok(
          phases.slice(firstAt('Running')).every((p) => p !== 'Pending' && p !== 'Scheduled'),
        );
        // Before the drop plus after the reconnect is exactly the uninterrupted stream.
        const key = (e: SseMessage): string => `${e.id} ${e.event} ${e.data}`;
        const pieced = [...changesOf(first, claim.id), ...changesOf(resumed, claim.id)].map(key);
        assert.deepEqual(pieced, all.map(key));
        assert.ok(!resumed.events.some((e) => e.event === 'SNAPSHOT_END'), 'no new list');
        const versions = all.slice(0, -1).map((e) => claimOf(e)?.version);
        assert.deepEqual(
          versions,
          versions.map((_, i) => i + 1),
          'every version, once',
        );
      });
    });
  }
}
