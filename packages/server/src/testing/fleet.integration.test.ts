// A small fixed fleet run in the normal suite, for correctness only (never timing): 100 fake
// agents × 8 GPUs and a burst of 500 one-GPU claims all reach Running, with no GPU booked twice
// (neither in the database nor on the agents); and a churn run (seeded deletes while claims are
// still arriving) that loses no acknowledged claim and books no GPU twice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFleet, startFleet } from './fleet.js';
import { checkChurn, liveIds, loadFleet, waitUntilSettled } from './fleet-load.js';
import { testDatabases } from './harness.js';

for (const db of testDatabases()) {
  describe(`fleet burst (${db})`, () => {
    it('takes 500 claims on 100 nodes to Running without booking a GPU twice', async () => {
      const f = await runFleet({
        db,
        nodes: 100,
        gpusPerNode: 8,
        claims: 500,
        postConcurrency: 32,
        timeoutMs: 120_000,
      });
      assert.equal(f.postFailures, 0);
      assert.equal(f.running, 500);
      assert.equal(f.doubleBookedInDb, 0);
      assert.equal(f.doubleBookedOnAgents, 0);
    });

    it('loses no claim and books no GPU twice when claims are deleted during the run', async () => {
      const fleet = await startFleet({ db, nodes: 100, gpusPerNode: 8 });
      try {
        const load = await loadFleet(fleet, {
          count: 600,
          concurrency: 32,
          ratePerSecond: 0,
          deleteShare: 0.5,
          seed: 12,
        });
        assert.deepEqual(
          { refused: load.refused, failed: load.failed, deleteFailures: load.deleteFailures },
          { refused: {}, failed: 0, deleteFailures: 0 },
        );
        assert.equal(load.acknowledged.length, 600);
        assert.ok(load.deleted.length > 200, `only ${load.deleted.length} deletes`);
        assert.ok(liveIds(load).length <= 800);
        assert.equal(await waitUntilSettled(fleet, load, 120_000), true);
        assert.deepEqual(await checkChurn(fleet, load), {
          lost: 0,
          notGone: 0,
          doubleBookedInDb: 0,
          doubleBookedOnAgents: 0,
          agentsDisagree: 0,
          leftoverContainers: 0,
        });
      } finally {
        await fleet.close();
      }
    });
  });
}
