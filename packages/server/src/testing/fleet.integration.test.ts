// A small fixed fleet run in the normal suite, for correctness only (never timing): 100 fake
// agents × 8 GPUs and a burst of 500 one-GPU claims all reach Running, with no GPU booked twice
// (neither in the database nor on the agents).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFleet } from './fleet.js';
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
  });
}
