// API + controller end to end: a real server on SQLite, real in-process agents (simulated GPUs)
// and the real Docker Engine (DOCKER_HOST). The resync and running-check periods are set to ten
// minutes, so the only way a claim can become Running within the run is the event-driven path
// (API write → work queue → schedule → bind → agent → Docker → Running), never a periodic tick.
//
//   latency:    sequential 1-GPU claims, create → Running, each deleted (and gone) before the next.
//   throughput: a burst of claims posted at once, time until every one is Running.
import type { GpuClaim } from '@utopia/shared';
import { createClaimAs, getClaimAs } from '../src/testing/claims-client.js';
import {
  runContainers,
  startCluster,
  TEST_IMAGE,
  waitFor,
  type TestCluster,
} from '../src/testing/cluster.js';
import type { TestServer } from '../src/testing/harness.js';
import { fmt, msSince, nowNs, printTable, sleep, stats } from './lib.js';

const NODES = 4;
const GPUS_PER_NODE = 8;
const WARMUP_CLAIMS = 2;
const LATENCY_CLAIMS = Number(process.env.UTOPIA_BENCH_LATENCY_CLAIMS ?? 20);
// 4 nodes × 8 GPUs hold 32 one-GPU claims: the burst fills the cluster exactly, so "all Running"
// is reachable (a 33rd claim would stay Pending).
const BURST_CLAIMS = NODES * GPUS_PER_NODE;
const POLL_MS = 5;
const CLAIM_TIMEOUT_MS = 30_000;

const sleeper = {
  spec: { image: TEST_IMAGE, resources: { gpuCount: 1 }, command: ['sleep', '3600'] },
};

/** untilRunning is used to poll a claim closely (every POLL_MS) until it is Running; Failed throws. */
async function untilRunning(t: TestServer, token: string, id: string): Promise<GpuClaim> {
  const deadline = Date.now() + CLAIM_TIMEOUT_MS;
  for (;;) {
    const c = await getClaimAs(t, token, id);
    if (c === undefined) throw new Error(`claim ${id} disappeared`);
    if (c.status.phase === 'Running') return c;
    if (c.status.phase === 'Failed')
      throw new Error(`claim ${id} Failed: ${c.status.reason}: ${c.status.message}`);
    if (Date.now() > deadline)
      throw new Error(`claim ${id} not Running after ${CLAIM_TIMEOUT_MS} ms: ${c.status.phase}`);
    await sleep(POLL_MS);
  }
}

/** deleteAndWait is used to delete a claim and wait (polling closely) until it is gone. */
async function deleteAndWait(t: TestServer, token: string, id: string): Promise<void> {
  const res = await t.api('DELETE', `/api/gpu-claims/${id}`, { token });
  if (res.status >= 300 && res.status !== 404)
    throw new Error(`delete claim ${id}: ${res.status} ${JSON.stringify(res.body)}`);
  const deadline = Date.now() + CLAIM_TIMEOUT_MS;
  while ((await getClaimAs(t, token, id)) !== undefined) {
    if (Date.now() > deadline) throw new Error(`claim ${id} still there after delete`);
    await sleep(POLL_MS);
  }
}

/** serverMs is used to read the server's own create → Running time from the claim's timestamps. */
const serverMs = (c: GpuClaim): number =>
  Date.parse(c.status.phaseChangedAt) - Date.parse(c.createdAt);

async function listAll(t: TestServer, token: string): Promise<GpuClaim[]> {
  const res = await t.api('GET', '/api/gpu-claims?limit=500', { token });
  if (res.status !== 200) throw new Error(`list claims: ${res.status}`);
  return res.json.items as GpuClaim[];
}

let cluster: TestCluster | undefined;
try {
  const setup = nowNs();
  const c = await startCluster('sqlite', Array<number>(NODES).fill(GPUS_PER_NODE), {
    UTOPIA_RESYNC_INTERVAL_MS: '600000',
    UTOPIA_RUNNING_CHECK_MS: '600000',
    // The test clusters' 2 s agent timeout is meant to make faults show quickly; under a burst on
    // a small machine Docker can take longer than that to start a container, and every timeout
    // becomes a retry with exponential backoff. The production default (10 s) is what is measured.
    UTOPIA_AGENT_TIMEOUT_MS: '10000',
  });
  cluster = c;
  const admin = await c.t.adminToken();
  const user = (await c.t.createUser('bench')).token;
  await waitFor(
    `${NODES} nodes Online`,
    async () => {
      const res = await c.t.api('GET', '/api/nodes', { token: admin });
      const items = res.json.items as { status: string }[];
      return items.length === NODES && items.every((n) => n.status === 'Online');
    },
    30_000,
  );
  const setupMs = msSince(setup);

  // --- latency ---------------------------------------------------------------------------
  const client: number[] = [];
  const server: number[] = [];
  const deletes: number[] = [];
  const seen: string[] = [];
  for (let i = 0; i < WARMUP_CLAIMS + LATENCY_CLAIMS; i++) {
    const start = nowNs();
    const claim = await createClaimAs(c.t, user, sleeper);
    seen.push(claim.id);
    const running = await untilRunning(c.t, user, claim.id);
    const clientMs = msSince(start);
    const delStart = nowNs();
    await deleteAndWait(c.t, user, claim.id);
    if (i < WARMUP_CLAIMS) continue;
    client.push(clientMs);
    server.push(serverMs(running));
    deletes.push(msSince(delStart));
  }

  // --- throughput --------------------------------------------------------------------------
  const burstStart = nowNs();
  const created = await Promise.all(
    Array.from({ length: BURST_CLAIMS }, () => createClaimAs(c.t, user, sleeper)),
  );
  const postedMs = msSince(burstStart);
  const ids = new Set(created.map((x) => x.id));
  let running: GpuClaim[] = [];
  const deadline = Date.now() + 60_000;
  for (;;) {
    const mine = (await listAll(c.t, user)).filter((x) => ids.has(x.id));
    const failed = mine.find((x) => x.status.phase === 'Failed');
    if (failed)
      throw new Error(`burst claim Failed: ${failed.status.reason}: ${failed.status.message}`);
    running = mine.filter((x) => x.status.phase === 'Running');
    if (running.length === BURST_CLAIMS) break;
    if (Date.now() > deadline) {
      const phases = new Map<string, number>();
      for (const x of mine) phases.set(x.status.phase, (phases.get(x.status.phase) ?? 0) + 1);
      // Say what is stuck, and what Docker really runs, so a failure can be diagnosed.
      console.error(`latency claims (deleted): ${seen.join(' ')}`);
      for (const x of mine.filter((y) => y.status.phase !== 'Running').slice(0, 4)) {
        const d = await getClaimAs(c.t, user, x.id);
        console.error(
          `stuck ${x.id} ${x.status.phase} on ${x.status.nodeName} GPUs [${x.status.gpuIds.join(',')}]`,
        );
        for (const e of d?.events ?? []) console.error(`  ${e.time} ${e.reason}: ${e.message}`);
      }
      for (const k of await runContainers(c.runLabel))
        console.error(
          `container ${k.State} claim=${k.Labels['utopia.claim_id']} gpus=${k.Labels['utopia.gpu_ids']} node=${k.Labels['utopia.node_id']}`,
        );
      throw new Error(
        `only ${running.length}/${BURST_CLAIMS} burst claims Running after 60 s ` +
          `(${[...phases].map(([p, n]) => `${p}: ${n}`).join(', ')})`,
      );
    }
    await sleep(20);
  }
  const burstMs = msSince(burstStart);
  const first = Math.min(...created.map((x) => Date.parse(x.createdAt)));
  const last = Math.max(...running.map((x) => Date.parse(x.status.phaseChangedAt)));
  const burstServerMs = last - first;
  const perClaim = stats(running.map(serverMs));
  const gpus = new Set(running.map((x) => `${x.status.nodeId}/${x.status.gpuIds.join(',')}`));
  if (gpus.size !== BURST_CLAIMS) throw new Error('two burst claims share a GPU');

  const teardownStart = nowNs();
  await Promise.all(running.map((x) => deleteAndWait(c.t, user, x.id)));
  const teardownMs = msSince(teardownStart);

  const lat = stats(client);
  const srv = stats(server);
  const del = stats(deletes);
  printTable(
    `Claims end to end (SQLite, ${NODES} agents × ${GPUS_PER_NODE} simulated GPUs, real Docker, resync and running check off)`,
    ['measure', 'n', 'median ms', 'p95 ms', 'min ms', 'max ms'],
    [
      [
        'create → Running, seen by client',
        String(lat.n),
        fmt(lat.median, 1),
        fmt(lat.p95, 1),
        fmt(lat.min, 1),
        fmt(lat.max, 1),
      ],
      [
        'create → Running, server timestamps',
        String(srv.n),
        fmt(srv.median, 1),
        fmt(srv.p95, 1),
        fmt(srv.min, 1),
        fmt(srv.max, 1),
      ],
      [
        'delete → gone, seen by client',
        String(del.n),
        fmt(del.median, 1),
        fmt(del.p95, 1),
        fmt(del.min, 1),
        fmt(del.max, 1),
      ],
      [
        `burst: per-claim create → Running`,
        String(perClaim.n),
        fmt(perClaim.median, 1),
        fmt(perClaim.p95, 1),
        fmt(perClaim.min, 1),
        fmt(perClaim.max, 1),
      ],
    ],
  );
  printTable(
    `Claims burst: ${BURST_CLAIMS} one-GPU claims posted at once (fills the cluster)`,
    ['measure', 'value'],
    [
      ['all POSTs answered', `${fmt(postedMs, 0)} ms`],
      ['first POST → all Running, client', `${fmt(burstMs, 0)} ms`],
      ['first createdAt → last Running, server', `${fmt(burstServerMs, 0)} ms`],
      ['throughput (client)', `${fmt((BURST_CLAIMS * 1000) / burstMs, 1)} claims/s`],
      ['throughput (server)', `${fmt((BURST_CLAIMS * 1000) / burstServerMs, 1)} claims/s`],
      ['burst time / sequential median × claims', `${fmt(burstMs / (lat.median * BURST_CLAIMS))}`],
      ['delete all → all gone', `${fmt(teardownMs, 0)} ms`],
      ['cluster start (server + agents Online)', `${fmt(setupMs, 0)} ms`],
    ],
  );
} finally {
  await cluster?.close();
}
