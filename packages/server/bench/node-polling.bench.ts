// Idle health polling: the leader polls N nodes whose agents answer (a fake fleet in a child
// process, speaking the agent API over real HTTP, so its CPU is not counted as the server's) and
// nothing changes but the GPU figures. Reports, per poll: wall time, server CPU, and database
// writes (node row versions and change-feed rows), for N = 100, 1,000 and (UTOPIA_BENCH_POLL_MAX)
// more. The server's CPU share assumes the default 5 s poll interval.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createAgentClient } from '../src/agent-client/agent-client.js';
import { createNodeHealthChecker } from '../src/controller/node-health-checker.js';
import { migrateToLatest, openDatabase } from '../src/db/database.js';
import { LiveNodeFigures } from '../src/nodes/live-node-figures.js';
import { fakeNodeRow } from '../src/testing/fake-node-row.js';
import { dbWrites } from './fleet-lib.js';
import { fmt, msSince, nowNs, printTable, stats } from './lib.js';

const SIZES = [
  100,
  1_000,
  ...(process.env.UTOPIA_BENCH_POLL_MAX ? [Number(process.env.UTOPIA_BENCH_POLL_MAX)] : []),
];
const POLLS = 8;
const INTERVAL_MS = 5_000;

// One HTTP server answering /n/<nodeId>/api/v1/metrics and …/containers for any node id, with
// figures that move on every answer, as real nvidia-smi readings do.
const FLEET = `
const http = require('node:http');
let tick = 0;
http.createServer((req, res) => {
  const m = /^\\/n\\/([^/]+)\\/api\\/v1\\/(metrics|containers)$/.exec(req.url);
  if (!m) { res.writeHead(404).end(); return; }
  res.setHeader('content-type', 'application/json');
  if (m[2] === 'containers') { res.end('[]'); return; }
  tick++;
  const gpus = Array.from({ length: 8 }, (_, id) => ({ id, temperature_c: 40 + (tick % 7), memory_total_mb: 143771,
    memory_used_mb: (tick * 13) % 1000, name: 'NVIDIA H200', uuid: 'GPU-' + m[1] + '-' + id, busy: false, usage_percent: tick % 100 }));
  res.end(JSON.stringify({ node_id: m[1], cpu_usage_percent: 1, memory_usage_percent: 1, gpus, system: {
    cpu_usage_percent: 1, memory_usage_percent: 1, memory_total_mb: 1, memory_used_mb: 1, disk_usage_percent: 1,
    load_average: [0, 0, 0], uptime: 1 } }));
}).listen(0, '127.0.0.1', function () { process.stdout.write(String(this.address().port) + '\\n'); });
`;

async function startFleet(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', FLEET], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [chunk] = (await once(child.stdout ?? child, 'data')) as [Buffer];
  return { port: Number(chunk.toString().trim()), child };
}

async function run(n: number, port: number): Promise<string[]> {
  const db = await openDatabase('sqlite://:memory:');
  await migrateToLatest(db);
  const at = new Date().toISOString();
  const inventory = JSON.stringify(
    Array.from({ length: 8 }, (_, index) => ({
      index,
      uuid: '',
      model: 'NVIDIA H200',
      memoryTotalMiB: 143771,
      memoryUsedMiB: null,
      utilizationPercent: null,
      temperatureC: null,
    })),
  );
  for (let i = 0; i < n; i += 500) {
    const rows = Array.from({ length: Math.min(500, n - i) }, (_, k) => {
      const id = `node-${String(i + k).padStart(5, '0')}`;
      return fakeNodeRow({
        id,
        address: `http://127.0.0.1:${port}/n/${id}`,
        gpus: inventory.replace(/"uuid":""/g, () => '"uuid":"?"'),
        at,
      });
    });
    await db.kysely.insertInto('nodes').values(rows).execute();
  }
  const checker = createNodeHealthChecker({
    db: db.kysely,
    clock: { now: () => Date.now() },
    agents: createAgentClient({ timeoutMs: 10_000 }),
    agentTokenKey: 'bench',
    graceMs: 30_000,
    concurrency: 64,
    liveFigures: new LiveNodeFigures(),
    onNodesChanged: () => undefined,
    onClaimChanged: () => undefined,
    log: () => undefined,
  });
  await checker.pollOnce(); // the first poll fills in the real UUIDs: one write per node
  const writesBefore = await dbWrites(db.kysely);
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < POLLS; i++) {
    const cpu = process.cpuUsage();
    const start = nowNs();
    await checker.pollOnce();
    walls.push(msSince(start));
    const used = process.cpuUsage(cpu);
    cpus.push((used.user + used.system) / 1000);
  }
  const w = (await dbWrites(db.kysely)) - writesBefore;
  await db.close();
  const cpu = stats(cpus).median;
  return [
    String(n),
    fmt(stats(walls).median, 1),
    fmt(cpu, 1),
    `${fmt((cpu / INTERVAL_MS) * 100, 2)}%`,
    String(w / POLLS),
  ];
}

const fleet = await startFleet();
try {
  const rows: string[][] = [];
  for (const n of SIZES) rows.push(await run(n, fleet.port));
  printTable(
    `Idle health polling (${POLLS} polls after a warm-up; figures move on every answer)`,
    ['nodes', 'poll wall ms', 'server CPU ms/poll', 'CPU share at 5 s', 'DB writes/poll'],
    rows,
  );
} finally {
  fleet.child.kill();
}
