// Fleet churn: N fake agents × 8 GPUs and a burst of one-GPU claims of which a seeded share is
// deleted again while the run goes on (each deletion right after some claim is acknowledged, of
// a random live one). When every live claim is Running and every deleted one gone, it checks the
// invariants and fails when one breaks: no acknowledged claim lost, no deleted claim left, no
// (node, GPU index) held twice in the database or on the agents, the agents' containers match
// the Running claims, and no container is left for a claim that is gone.
//
//   UTOPIA_BENCH_FLEET_NODES (1000), UTOPIA_BENCH_CHURN_CLAIMS (10000),
//   UTOPIA_BENCH_CHURN_DELETE_SHARE (0.4), UTOPIA_BENCH_FLEET_DBS.
import { startFleet } from '../src/testing/fleet.js';
import { checkChurn, liveIds, loadFleet, waitUntilSettled } from '../src/testing/fleet-load.js';
import { envNumber, fleetDbs, loadText, measureFrom, rssMiB } from './fleet-lib.js';
import { fmt, printTable } from './lib.js';

const NODES = envNumber('UTOPIA_BENCH_FLEET_NODES', 1000);
const CLAIMS = envNumber('UTOPIA_BENCH_CHURN_CLAIMS', 10_000);
const DELETE_SHARE = envNumber('UTOPIA_BENCH_CHURN_DELETE_SHARE', 0.4);

const rows: string[][] = [];
const broken: string[] = [];
for (const db of fleetDbs()) {
  const fleet = await startFleet({ db, nodes: NODES, gpusPerNode: 8 });
  try {
    const loadBefore = loadText();
    const use = measureFrom();
    const load = await loadFleet(fleet, {
      count: CLAIMS,
      concurrency: 64,
      ratePerSecond: 0,
      deleteShare: DELETE_SHARE,
      seed: 12,
    });
    const settled = await waitUntilSettled(
      fleet,
      load,
      envNumber('UTOPIA_BENCH_CHURN_SETTLE_MS', 900_000),
    );
    const u = use();
    const c = await checkChurn(fleet, load);
    const refused = Object.values(load.refused).reduce((a, b) => a + b, 0);
    const bad = Object.entries(c).filter(([, v]) => v !== 0);
    if (!settled) broken.push(`${db}: not settled in time`);
    for (const [k, v] of bad) broken.push(`${db}: ${k} = ${v}`);
    rows.push([
      db,
      String(NODES),
      String(load.acknowledged.length),
      String(refused + load.failed),
      String(load.deleted.length),
      String(load.deleteFailures),
      String(liveIds(load).length),
      fmt(u.wallMs / 1000, 0),
      String(c.lost),
      String(c.notGone),
      String(c.doubleBookedInDb),
      String(c.doubleBookedOnAgents),
      String(c.agentsDisagree),
      String(c.leftoverContainers),
      fmt(rssMiB(), 0),
      `${loadBefore}→${loadText()}`,
    ]);
  } finally {
    await fleet.close();
  }
}
printTable(
  `Fleet churn: ${CLAIMS} one-GPU claims on ${NODES} fake agents × 8 GPUs, ${DELETE_SHARE * 100}% deleted during the run`,
  [
    'db',
    'nodes',
    'acked',
    'POST fails',
    'deleted',
    'delete fails',
    'live',
    'settled s',
    'lost',
    'not gone',
    'GPU twice (db)',
    'GPU twice (agents)',
    'agents disagree',
    'leftover containers',
    'RSS MiB',
    'load',
  ],
  rows,
);
if (broken.length > 0) throw new Error(`churn invariants broken: ${broken.join('; ')}`);
