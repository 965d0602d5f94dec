// Fleet at a steady rate: N fake agents × 16 GPUs (src/testing/fake-fleet.mjs, direct mode, no
// Docker) and one-GPU claims posted at a fixed rate (open loop: a slow answer does not delay the
// next POST) for a while, on a fresh server per rate. Reports, from the server's own timestamps,
// submit (createdAt) → Running p50/p99/max after a warm-up at the same rate (its own p99 beside:
// the first claims after a start pay for compiling code and opening connections), the POSTs
// refused (429/503, load shedding) or failed, the server process's CPU as a share of one core
// over the run, RSS and the load.
//
//   UTOPIA_BENCH_FLEET_NODES (1000), UTOPIA_BENCH_STEADY_RATES (100,500),
//   UTOPIA_BENCH_STEADY_SECONDS (20), UTOPIA_BENCH_STEADY_WARMUP_SECONDS (2),
//   UTOPIA_BENCH_STEADY_SETTLE_MS (240000: then the claims Running by then are reported),
//   UTOPIA_BENCH_FLEET_DBS.
import { startFleet } from '../src/testing/fleet.js';
import {
  claimStates,
  loadFleet,
  submitToRunningMs,
  waitUntilSettled,
} from '../src/testing/fleet-load.js';
import { createStatementTally } from '../src/testing/statement-tally.js';
import {
  envNumber,
  fleetDbs,
  loadText,
  measureFrom,
  printStatements,
  rssMiB,
} from './fleet-lib.js';
import { fmt, printTable, stats } from './lib.js';

const NODES = envNumber('UTOPIA_BENCH_FLEET_NODES', 1000);
const SECONDS = envNumber('UTOPIA_BENCH_STEADY_SECONDS', 20);
const WARMUP_SECONDS = envNumber('UTOPIA_BENCH_STEADY_WARMUP_SECONDS', 2);
const SETTLE_MS = envNumber('UTOPIA_BENCH_STEADY_SETTLE_MS', 240_000);
const RATES = (process.env.UTOPIA_BENCH_STEADY_RATES ?? '100,500').split(',').map(Number);
// 16 GPUs a node: 500/s for 20 s is 10,000 one-GPU claims.
const GPUS_PER_NODE = 16;
// As in fleet.bench.ts: count (and on SQLite time) the statements of each run.
const tally =
  process.env.UTOPIA_BENCH_FLEET_STATEMENTS === '1' ? createStatementTally() : undefined;

const rows: string[][] = [];
for (const db of fleetDbs()) {
  for (const rate of RATES) {
    const fleet = await startFleet({ db, nodes: NODES, gpusPerNode: GPUS_PER_NODE });
    try {
      const postAtRate = (seconds: number, seed: number) =>
        loadFleet(fleet, {
          count: rate * seconds,
          concurrency: 4096,
          ratePerSecond: rate,
          deleteShare: 0,
          seed,
        });
      const warmup = await postAtRate(WARMUP_SECONDS, 2);
      await waitUntilSettled(fleet, warmup, SETTLE_MS);
      const cold = stats(submitToRunningMs(await claimStates(fleet), warmup.acknowledged));
      const loadBefore = loadText();
      const use = measureFrom();
      tally?.start();
      const load = await postAtRate(SECONDS, 1);
      const settled = await waitUntilSettled(fleet, load, SETTLE_MS);
      const u = use();
      const statements = tally?.stop();
      const states = await claimStates(fleet);
      const s = stats(submitToRunningMs(states, load.acknowledged));
      if (statements) printStatements(`${rate}/s on ${db}`, statements, s.n);
      const row = [
        db,
        String(NODES),
        String(rate),
        String(load.acknowledged.length),
        String(load.refused['429'] ?? 0),
        String(load.refused['503'] ?? 0),
        String(load.failed),
        fmt(load.ms / 1000, 1),
        `${s.n}${settled ? '' : ' (timed out)'}`,
        fmt(s.median, 0),
        fmt(s.p99, 0),
        fmt(s.max, 0),
        fmt(cold.p99, 0),
        fmt(u.corePercent, 0),
        fmt(rssMiB(), 0),
        `${loadBefore}→${loadText()}`,
      ];
      console.log(row.join(' | ')); // each run as it ends: a long run still shows what it got
      if (load.failed > 0) console.log(`  failed POSTs by cause: ${JSON.stringify(load.failedBy)}`);
      rows.push(row);
    } finally {
      await fleet.close();
    }
  }
}
printTable(
  `Fleet at a steady rate: one-GPU claims for ${SECONDS} s after ${WARMUP_SECONDS} s of warm-up on ${NODES} fake agents × ${GPUS_PER_NODE} GPUs`,
  [
    'db',
    'nodes',
    'rate/s',
    'acked',
    '429',
    '503',
    'failed',
    'POSTs s',
    'Running',
    'p50 ms',
    'p99 ms',
    'max ms',
    'warm-up p99 ms',
    'server CPU % core',
    'RSS MiB',
    'load',
  ],
  rows,
);
