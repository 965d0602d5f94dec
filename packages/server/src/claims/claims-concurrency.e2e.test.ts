// 200 claims of 1–4 GPUs submitted at once to 10 nodes × 8 GPUs, with random deletes. All along,
// no GPU may be held twice — in the database or in what the agents were asked to run — and in the
// end every claim is Running, or Pending because nothing fits.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { GpuClaim } from '@utopia/shared';
import {
  runContainers,
  startCluster,
  TEST_IMAGE,
  waitFor,
  type TestCluster,
} from '../testing/cluster.js';
import { createClaimAs, getClaimAs } from '../testing/claims-client.js';
import { testDatabases } from '../testing/harness.js';
import { mulberry32 } from '../testing/random.js';

const NODES = 10;
const GPUS_PER_NODE = 8;
const CLAIMS = 200;
const DELETES = 60;

async function checkDatabase(c: TestCluster): Promise<string[]> {
  const db = c.t.server.ctx.db.kysely;
  const problems: string[] = [];
  // One transaction, so the three reads see one consistent snapshot of the database.
  const { reservations, nodes, claims } = await db.transaction().execute(async (trx) => ({
    reservations: await trx.selectFrom('gpu_reservations').selectAll().execute(),
    nodes: await trx.selectFrom('nodes').select(['id', 'gpus']).execute(),
    claims: await trx
      .selectFrom('gpu_claims')
      .select(['id', 'phase', 'gpu_count', 'node_id'])
      .execute(),
  }));
  const capacity = new Map(nodes.map((n) => [n.id, (JSON.parse(n.gpus) as unknown[]).length]));
  const claimById = new Map(claims.map((x) => [x.id, x]));
  const seen = new Set<string>();
  const perNode = new Map<string, number>();
  const perClaim = new Map<string, number>();
  for (const r of reservations) {
    const key = `${r.node_id}/${r.gpu_index}`;
    if (seen.has(key)) problems.push(`GPU ${key} reserved twice`);
    seen.add(key);
    if (r.gpu_index >= (capacity.get(r.node_id) ?? 0)) problems.push(`GPU ${key} does not exist`);
    perNode.set(r.node_id, (perNode.get(r.node_id) ?? 0) + 1);
    perClaim.set(r.claim_id, (perClaim.get(r.claim_id) ?? 0) + 1);
    const claim = claimById.get(r.claim_id);
    if (claim && claim.node_id !== r.node_id)
      problems.push(`claim ${r.claim_id} holds GPUs on a node it is not bound to`);
  }
  for (const [node, n] of perNode)
    if (n > (capacity.get(node) ?? 0)) problems.push(`node ${node}: ${n} reserved`);
  for (const [id, n] of perClaim) {
    const claim = claimById.get(id);
    if (claim && n !== claim.gpu_count)
      problems.push(`claim ${id} holds ${n} GPUs, wants ${claim.gpu_count}`);
  }
  return problems;
}

async function checkDocker(c: TestCluster): Promise<string[]> {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const x of await runContainers(c.runLabel)) {
    if (x.State !== 'running') continue;
    for (const gpu of (x.Labels['utopia.gpu_ids'] ?? '').split(',').filter(Boolean)) {
      const key = `${x.Labels['utopia.node_id']}/${gpu}`;
      if (seen.has(key)) problems.push(`GPU ${key} given to two running containers`);
      seen.add(key);
    }
  }
  return problems;
}

for (const dbKind of testDatabases()) {
  describe(`${CLAIMS} claims in parallel on ${NODES} nodes × ${GPUS_PER_NODE} GPUs (${dbKind})`, () => {
    let c: TestCluster;
    before(async () => {
      c = await startCluster(dbKind, Array<number>(NODES).fill(GPUS_PER_NODE));
      const admin = await c.t.adminToken();
      await waitFor('all nodes Online', async () => {
        const res = await c.t.api('GET', '/api/nodes', { token: admin });
        return (
          (res.json.items as { status: string }[]).filter((n) => n.status === 'Online').length ===
          NODES
        );
      });
    });
    after(() => c.close());

    test('no GPU is ever held twice, and every claim ends Running or Pending because nothing fits', async () => {
      const problems: string[] = [];
      let checks = 0;
      let monitoring = true;
      // A failed check is a finding, said in words; the loop never outlives the test.
      const monitor = (async () => {
        while (monitoring) {
          try {
            problems.push(...(await checkDatabase(c)), ...(await checkDocker(c)));
            checks++;
          } catch (e) {
            problems.push(`the check itself failed: ${e instanceof Error ? e.stack : String(e)}`);
          }
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      let settled: GpuClaim[];
      try {
        settled = await submitDeleteAndSettle();
      } finally {
        monitoring = false;
        await monitor;
      }
      assert.ok(checks > 10, `the invariants were checked ${checks} times`);
      assert.deepEqual(problems, []);
      await checkEndState(settled);
    });

    async function submitDeleteAndSettle(): Promise<GpuClaim[]> {
      const rng = mulberry32(20261128);
      const user = (await c.t.createUser('load', { gpuQuota: null })).token;

      // 1. Submit every claim at once.
      const sizes = Array.from({ length: CLAIMS }, () => 1 + Math.floor(rng() * 4));
      const claims: GpuClaim[] = await Promise.all(
        sizes.map((n) =>
          createClaimAs(c.t, user, {
            spec: { image: TEST_IMAGE, resources: { gpuCount: n }, command: ['sleep', '3600'] },
          }),
        ),
      );
      // 2. Delete a random subset at random moments while the controller works.
      const doomed = new Set<string>();
      while (doomed.size < DELETES) doomed.add(claims[Math.floor(rng() * CLAIMS)]!.id);
      await Promise.all(
        [...doomed].map(async (id) => {
          await new Promise((r) => setTimeout(r, rng() * 3000));
          const res = await c.t.api('DELETE', `/api/gpu-claims/${id}`, { token: user });
          assert.equal(res.status, 202);
        }),
      );

      // 3. Wait for the cluster to settle.
      const kept = claims.filter((x) => !doomed.has(x.id));
      let unsettled = '';
      return waitFor(
        'the cluster to settle',
        async () => {
          for (const id of doomed)
            if ((await getClaimAs(c.t, user, id)) !== undefined) return undefined;
          const now = await Promise.all(kept.map((x) => getClaimAs(c.t, user, x.id)));
          const ok = now.every(
            (x) =>
              x &&
              (x.status.phase === 'Running' ||
                (x.status.phase === 'Pending' && x.status.reason === 'Unschedulable')),
          );
          unsettled = now
            .filter((x) => x && x.status.phase !== 'Running')
            .map((x) => `${x?.id} ${x?.status.phase} ${x?.status.reason ?? ''}`)
            .join('; ');
          return ok ? (now as GpuClaim[]) : undefined;
        },
        120_000,
      ).catch((e: unknown) => {
        throw new Error(`${e instanceof Error ? e.message : String(e)}; not settled: ${unsettled}`);
      });
    }

    // 4. The end state: Running claims each have one container with their GPUs; pending ones fit
    //    nowhere.
    async function checkEndState(settled: GpuClaim[]): Promise<void> {
      const running = settled.filter((x) => x.status.phase === 'Running');
      const containers = (await runContainers(c.runLabel)).filter((x) => x.State === 'running');
      assert.equal(containers.length, running.length);
      for (const claim of running) {
        const mine = containers.filter((x) => x.Labels['utopia.claim_id'] === claim.id);
        assert.equal(mine.length, 1);
        assert.equal(mine[0]?.Labels['utopia.gpu_ids'], claim.status.gpuIds.join(','));
      }
      const used = new Map<string, number>();
      for (const x of running)
        used.set(
          x.status.nodeId ?? '',
          (used.get(x.status.nodeId ?? '') ?? 0) + x.status.gpuIds.length,
        );
      const nodeIds = new Set(c.nodes.map((n) => n.agent?.nodeId ?? ''));
      const mostFree = Math.max(...[...nodeIds].map((id) => GPUS_PER_NODE - (used.get(id) ?? 0)));
      for (const p of settled.filter((x) => x.status.phase === 'Pending')) {
        assert.ok(
          p.spec.resources.gpuCount > mostFree,
          `claim of ${p.spec.resources.gpuCount} pending while a node has ${mostFree} free`,
        );
        assert.match(p.status.message ?? '', /^0\/10 nodes fit: /);
      }
      assert.ok(running.length > 0);
    }
  });
}
