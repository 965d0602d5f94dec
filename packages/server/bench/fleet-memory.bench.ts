// Fleet memory: the server's RSS and heap with N fake agents × 16 GPUs and M one-GPU claims
// Running, after a full GC (and the moment V8 takes to return the freed pages), next to the same
// server with the nodes and no claims. By default the claims are seeded as Running rows,
// reservations and agent containers before a restart (the model is built from them as on a
// takeover: 10,000 claims without a long burst on a shared VM);
// UTOPIA_BENCH_MEMORY_MODE=post posts them instead (64 in flight) and waits until all run.
// UTOPIA_BENCH_MEMORY_SNAPSHOT=<dir> also writes a heap snapshot of the loaded server there (open
// it in Chrome DevTools → Memory) to see what holds the memory. With the claims Running it also
// takes the server's CPU over UTOPIA_BENCH_MEMORY_CPU_SECONDS (30): what 10,000 claims that need
// nothing cost the leader (health polls, and whatever checks the Running claims), and reads RSS
// again at the end of that window, without forcing a collection: after a burst V8 holds old-space
// pages its forced collection cannot empty (296 MiB read at once, 218 MiB 15 s later once its
// memory reducer had compacted them, in one run), so that reading is what the server settles to.
//
//   UTOPIA_BENCH_FLEET_NODES (1000), UTOPIA_BENCH_MEMORY_CLAIMS (10000), UTOPIA_BENCH_FLEET_DBS.
import { join } from 'node:path';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { TestDb } from '../src/testing/harness.js';
import { countRunning, startFleet, type Fleet } from '../src/testing/fleet.js';
import { loadFleet, waitUntilSettled } from '../src/testing/fleet-load.js';
import { seedRunningClaims } from '../src/testing/fleet-seed.js';
import { envNumber, fleetDbs, loadText, measureFrom, rssMiB } from './fleet-lib.js';
import { fmt, printTable, sleep } from './lib.js';

const NODES = envNumber('UTOPIA_BENCH_FLEET_NODES', 1000);
const CLAIMS = envNumber('UTOPIA_BENCH_MEMORY_CLAIMS', 10_000);
const POST = process.env.UTOPIA_BENCH_MEMORY_MODE === 'post';
const SNAPSHOT_DIR = process.env.UTOPIA_BENCH_MEMORY_SNAPSHOT;
const GPUS_PER_NODE = 16;
const CPU_SECONDS = envNumber('UTOPIA_BENCH_MEMORY_CPU_SECONDS', 30);

// A full collection before each reading, so the figures are what is live, not garbage.
setFlagsFromString('--expose-gc');
const gc: unknown = runInNewContext('gc');

const MiB = 2 ** 20;
// V8 hands the pages a collection freed back to the system from helper threads after it returns:
// read at once, RSS still holds them (315 MiB read at once, 227 MiB a moment later, in one run).
const AFTER_GC_MS = 2000;
async function memory(): Promise<string[]> {
  if (typeof gc === 'function') gc();
  await sleep(AFTER_GC_MS);
  const m = process.memoryUsage();
  return [m.rss, m.heapUsed, m.external + m.arrayBuffers].map((v) => fmt(v / MiB, 0));
}

/** withClaims is used to start a fleet whose claims are Running, seeded or posted. */
async function withClaims(db: TestDb): Promise<Fleet> {
  const size = { nodes: NODES, gpusPerNode: GPUS_PER_NODE, claims: CLAIMS };
  if (!POST)
    return startFleet({ db, ...size, prepare: (t, child) => seedRunningClaims(t, child, size) });
  const fleet = await startFleet({ db, ...size });
  const load = await loadFleet(fleet, {
    count: CLAIMS,
    concurrency: 64,
    ratePerSecond: 0,
    deleteShare: 0,
    seed: 1,
  });
  await waitUntilSettled(fleet, load, envNumber('UTOPIA_BENCH_MEMORY_SETTLE_MS', 900_000));
  return fleet;
}

const rows: string[][] = [];
for (const db of fleetDbs()) {
  const empty = await startFleet({ db, nodes: NODES, gpusPerNode: GPUS_PER_NODE });
  await sleep(10_000); // a few health polls
  const idle = await memory();
  await empty.close();
  const fleet = await withClaims(db);
  try {
    await sleep(20_000); // the takeover's reconcile of every claim, and a few health polls
    const running = await countRunning(fleet.t);
    const loaded = await memory();
    const use = measureFrom();
    await sleep(CPU_SECONDS * 1000);
    const cpu = use();
    const settled = rssMiB();
    if (SNAPSHOT_DIR)
      console.log(
        `heap snapshot: ${writeHeapSnapshot(join(SNAPSHOT_DIR, `fleet-${db}.heapsnapshot`))}`,
      );
    rows.push([
      db,
      String(NODES),
      String(running),
      POST ? 'posted' : 'seeded',
      ...idle,
      ...loaded,
      fmt(settled, 0),
      fmt(cpu.corePercent, 1),
      loadText(),
    ]);
  } finally {
    await fleet.close();
  }
}
printTable(
  `Fleet memory: ${NODES} fake agents × ${GPUS_PER_NODE} GPUs, ${CLAIMS} one-GPU claims Running (MiB after a full GC)`,
  [
    'db',
    'nodes',
    'Running',
    'claims',
    'RSS no claims',
    'heap no claims',
    'ext no claims',
    'RSS',
    'heap',
    'ext',
    `RSS ${CPU_SECONDS} s later`,
    'CPU % core',
    'load',
  ],
  rows,
);
