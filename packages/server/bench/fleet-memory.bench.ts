// Fleet memory: the server's RSS and heap with N fake agents × 16 GPUs and M one-GPU claims
// Running (posted as a burst, 64 in flight), after a full GC, next to the same server with the
// nodes and no claims. UTOPIA_BENCH_MEMORY_SNAPSHOT=<dir> also writes a heap snapshot of the
// loaded server there (open it in Chrome DevTools → Memory) to see what holds the memory.
//
//   UTOPIA_BENCH_FLEET_NODES (1000), UTOPIA_BENCH_MEMORY_CLAIMS (10000), UTOPIA_BENCH_FLEET_DBS.
import { join } from 'node:path';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startFleet } from '../src/testing/fleet.js';
import { liveIds, loadFleet, waitUntilSettled } from '../src/testing/fleet-load.js';
import { envNumber, fleetDbs, loadText, measureFrom } from './fleet-lib.js';
import { fmt, printTable } from './lib.js';

const NODES = envNumber('UTOPIA_BENCH_FLEET_NODES', 1000);
const CLAIMS = envNumber('UTOPIA_BENCH_MEMORY_CLAIMS', 10_000);
const SNAPSHOT_DIR = process.env.UTOPIA_BENCH_MEMORY_SNAPSHOT;

// A full collection before each reading, so the figures are what is live, not garbage.
setFlagsFromString('--expose-gc');
const gc: unknown = runInNewContext('gc');

const MiB = 2 ** 20;
function memory(): string[] {
  if (typeof gc === 'function') gc();
  const m = process.memoryUsage();
  return [m.rss, m.heapUsed, m.external + m.arrayBuffers].map((v) => fmt(v / MiB, 0));
}

const rows: string[][] = [];
for (const db of fleetDbs()) {
  const fleet = await startFleet({ db, nodes: NODES, gpusPerNode: 16 });
  try {
    const idle = memory();
    const use = measureFrom();
    const load = await loadFleet(fleet, {
      count: CLAIMS,
      concurrency: 64,
      ratePerSecond: 0,
      deleteShare: 0,
      seed: 1,
    });
    const settled = await waitUntilSettled(
      fleet,
      load,
      envNumber('UTOPIA_BENCH_MEMORY_SETTLE_MS', 900_000),
    );
    const u = use();
    const loaded = memory();
    if (SNAPSHOT_DIR)
      console.log(
        `heap snapshot: ${writeHeapSnapshot(join(SNAPSHOT_DIR, `fleet-${db}.heapsnapshot`))}`,
      );
    rows.push([
      db,
      String(NODES),
      `${liveIds(load).length}${settled ? '' : ' (not all Running)'}`,
      ...idle,
      ...loaded,
      fmt(u.wallMs / 1000, 0),
      loadText(),
    ]);
  } finally {
    await fleet.close();
  }
}
printTable(
  `Fleet memory: ${NODES} fake agents × 16 GPUs, ${CLAIMS} one-GPU claims Running (MiB after a full GC)`,
  [
    'db',
    'nodes',
    'claims',
    'RSS idle',
    'heap idle',
    'ext idle',
    'RSS loaded',
    'heap loaded',
    'ext loaded',
    'run s',
    'load',
  ],
  rows,
);
