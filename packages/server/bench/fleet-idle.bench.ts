// Idle fleet polling: a real server whose N nodes are fake agents (src/testing/fake-fleet.mjs)
// that answer every health poll with GPU figures that move, as real readings do, and nothing
// else happens. After a warm-up it watches one minute: the server process's CPU as a share of
// one core, the polls answered per node, and the database writes (node row versions, change-feed
// rows, events; must be 0, since nothing but the live figures changed).
//
//   UTOPIA_BENCH_IDLE_NODES (1000,10000), UTOPIA_BENCH_IDLE_SECONDS (60),
//   UTOPIA_NODE_POLL_INTERVAL_MS (5000), UTOPIA_BENCH_FLEET_DBS.
import { nextMessage, startFleet } from '../src/testing/fleet.js';
import { dbWrites, envNumber, fleetDbs, loadText, measureFrom, rssMiB } from './fleet-lib.js';
import { fmt, printTable, sleep } from './lib.js';

const SIZES = (process.env.UTOPIA_BENCH_IDLE_NODES ?? '1000,10000').split(',').map(Number);
const SECONDS = envNumber('UTOPIA_BENCH_IDLE_SECONDS', 60);
const INTERVAL_MS = envNumber('UTOPIA_NODE_POLL_INTERVAL_MS', 5000);
const WARMUP_MS = 2 * INTERVAL_MS;

const rows: string[][] = [];
for (const db of fleetDbs()) {
  for (const n of SIZES) {
    const fleet = await startFleet({
      db,
      nodes: n,
      gpusPerNode: 8,
      movingFigures: true,
      env: { UTOPIA_NODE_POLL_INTERVAL_MS: String(INTERVAL_MS) },
    });
    const answers = async () => {
      fleet.child.send({ kind: 'stats' });
      return (await nextMessage(fleet.child, 'stats')).metricsAnswers;
    };
    try {
      await sleep(WARMUP_MS);
      const kysely = fleet.t.server.ctx.db.kysely;
      const writesBefore = await dbWrites(kysely);
      const answersBefore = await answers();
      const loadBefore = loadText();
      const use = measureFrom();
      await sleep(SECONDS * 1000);
      const u = use();
      const perMinute = 60_000 / u.wallMs;
      const polled = (await answers()) - answersBefore;
      const writes = (await dbWrites(kysely)) - writesBefore;
      rows.push([
        db,
        String(n),
        fmt((polled / n) * perMinute, 1),
        fmt(60_000 / INTERVAL_MS, 0),
        fmt(u.corePercent, 1),
        fmt(writes * perMinute, 0),
        fmt(rssMiB(), 0),
        `${loadBefore}→${loadText()}`,
      ]);
    } finally {
      await fleet.close();
    }
  }
}
printTable(
  `Idle fleet polling over ${SECONDS} s (poll interval ${INTERVAL_MS} ms; GPU figures move on every answer)`,
  [
    'db',
    'nodes',
    'polls/node/min',
    'planned',
    'server CPU % core',
    'DB writes/min',
    'RSS MiB',
    'load',
  ],
  rows,
);
