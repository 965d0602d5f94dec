// Fleet burst: N fake agents × 8 GPUs (one child process answering the agent API, direct mode,
// no Docker) and a burst of one-GPU claims posted at once until every one is Running. Reports
// claims/s (server timestamps), scheduler ms per placement, server CPU ms per claim and RSS, on
// SQLite and (when UTOPIA_TEST_MYSQL_URL is set) MariaDB, with the load average.
//
//   UTOPIA_BENCH_FLEET_NODES (1000), UTOPIA_BENCH_FLEET_CLAIMS (5000; at most the fleet's GPUs),
//   UTOPIA_BENCH_FLEET_DBS.
//   UTOPIA_BENCH_FLEET_STATEMENTS=1 also counts the SQL statements of the burst, per claim and by
//   text (the drivers are patched to count, which costs a little CPU: compare figures without it).
import { loadavg } from 'node:os';
import { runFleet } from '../src/testing/fleet.js';
import { createStatementTally } from '../src/testing/statement-tally.js';
import { fleetDbs, printStatements } from './fleet-lib.js';
import { fmt, printTable } from './lib.js';

const NODES = Number(process.env.UTOPIA_BENCH_FLEET_NODES ?? 1000);
const GPUS_PER_NODE = 8;
// A burst runs until every claim is Running, so it is capped at the fleet's GPUs (800 at 100 nodes).
const CLAIMS = Math.min(
  Number(process.env.UTOPIA_BENCH_FLEET_CLAIMS ?? 5000),
  NODES * GPUS_PER_NODE,
);
const DBS = fleetDbs();
const tally =
  process.env.UTOPIA_BENCH_FLEET_STATEMENTS === '1' ? createStatementTally() : undefined;

const rows: string[][] = [];
const before = loadavg();
for (const db of DBS) {
  const f = await runFleet({
    db,
    nodes: NODES,
    gpusPerNode: GPUS_PER_NODE,
    claims: CLAIMS,
    postConcurrency: 64,
    timeoutMs: Number(process.env.UTOPIA_BENCH_FLEET_TIMEOUT_MS ?? 240_000),
    ...(tally ? { tally } : {}),
  });
  if (f.statements) printStatements(`the burst on ${db}`, f.statements, f.running);
  rows.push([
    db,
    String(NODES),
    `${f.running}/${f.claims}`,
    String(f.postFailures),
    fmt(f.postMs / 1000, 1),
    fmt(f.burstMs / 1000, 1),
    fmt(f.claimsPerSecond, 1),
    fmt(f.schedulerMsPerPlacement, 3),
    fmt(f.serverCpuMsPerClaim, 2),
    fmt(f.rssMiB, 0),
    String(f.doubleBookedInDb + f.doubleBookedOnAgents),
    f.loadAverage.map((l) => fmt(l, 2)).join(' '),
  ]);
}
printTable(
  `Fleet burst: ${CLAIMS} one-GPU claims on ${NODES} fake agents × ${GPUS_PER_NODE} GPUs (load before: ${before.map((l) => fmt(l, 2)).join(' ')})`,
  [
    'db',
    'nodes',
    'Running',
    'POST fails',
    'POSTs s',
    'burst s',
    'claims/s',
    'sched ms/placement',
    'server CPU ms/claim',
    'RSS MiB',
    'GPU twice',
    'load after',
  ],
  rows,
);
