// A fleet run: a real server (SQLite or MariaDB) whose nodes are fake agents in a child process
// (src/testing/fake-fleet.mjs, direct mode, no Docker), and a burst of one-GPU claims posted from
// that child until every claim is Running. Used by the fleet benchmark (figures) and by a small
// test (correctness only: all Running, no GPU booked twice).
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { fakeGpuInventory, fakeNodeRow } from './fake-node-row.js';
import { startTestServer, type TestDb, type TestServer } from './harness.js';
import type { StatementCount, StatementTally } from './statement-tally.js';

/** FleetOptions is used to size a fleet run. */
export interface FleetOptions {
  db: TestDb;
  nodes: number;
  gpusPerNode: number;
  claims: number;
  /** POSTs in flight at once. */
  postConcurrency: number;
  timeoutMs: number;
  /** Extra server settings (UTOPIA_*). */
  env?: Record<string, string>;
  /** Counts the SQL statements from the first POST until every claim is Running. */
  tally?: StatementTally;
}

/** FleetFigures is used to report one fleet run. */
export interface FleetFigures {
  claims: number;
  running: number;
  postFailures: number;
  postMs: number;
  /** First createdAt → last Running, from the server's own timestamps. */
  burstMs: number;
  claimsPerSecond: number;
  schedulerMsPerPlacement: number;
  serverCpuMsPerClaim: number;
  rssMiB: number;
  /** GPU indices of one node held by two Running claims (from the database). */
  doubleBookedInDb: number;
  /** Creates the fake agents saw for a GPU already held by a live container. */
  doubleBookedOnAgents: number;
  loadAverage: readonly number[];
  /** With a tally: statements per SQL text over the burst, the run's own polling left out. */
  statements?: Map<string, StatementCount>;
}

const FleetMessage = Type.Union([
  Type.Object({ kind: Type.Literal('port'), port: Type.Integer() }),
  Type.Object({ kind: Type.Literal('posted'), failed: Type.Integer(), ms: Type.Number() }),
  Type.Object({
    kind: Type.Literal('loaded'),
    acknowledged: Type.Array(Type.String()),
    deleted: Type.Array(Type.String()),
    refused: Type.Record(Type.String(), Type.Integer()),
    failed: Type.Integer(),
    failedBy: Type.Record(Type.String(), Type.Integer()),
    deleteFailures: Type.Integer(),
    ms: Type.Number(),
  }),
  Type.Object({ kind: Type.Literal('seeded'), containers: Type.Integer() }),
  Type.Object({
    kind: Type.Literal('holdings'),
    holdings: Type.Array(
      Type.Object({
        nodeId: Type.String(),
        claimId: Type.String(),
        gpuIds: Type.Array(Type.Integer()),
      }),
    ),
  }),
  Type.Object({
    kind: Type.Literal('stats'),
    doubleBooked: Type.Integer(),
    creates: Type.Integer(),
    metricsAnswers: Type.Integer(),
  }),
]);
type FleetMessage = Static<typeof FleetMessage>;

/** ONE_GPU_CLAIM is used as the body of every claim a fleet run posts. */
export const ONE_GPU_CLAIM = { spec: { image: 'fleet:latest', resources: { gpuCount: 1 } } };

export async function nextMessage<K extends FleetMessage['kind']>(
  child: ChildProcess,
  kind: K,
): Promise<Extract<FleetMessage, { kind: K }>> {
  for (;;) {
    const [msg] = await once(child, 'message');
    if (!Value.Check(FleetMessage, msg)) throw new Error('fake fleet sent an unknown message');
    if (isKind(msg, kind)) return msg;
  }
}

function isKind<K extends FleetMessage['kind']>(
  msg: FleetMessage,
  kind: K,
): msg is Extract<FleetMessage, { kind: K }> {
  return msg.kind === kind;
}

function nodeRows(n: number, gpus: number, port: number, at: string) {
  return Array.from({ length: n }, (_, i) => {
    const id = `node-${String(i).padStart(5, '0')}`;
    return fakeNodeRow({
      id,
      address: `http://127.0.0.1:${port}/n/${id}`,
      gpus: fakeGpuInventory(id, gpus),
      at,
    });
  });
}

function runningCount(t: TestServer) {
  return t.server.ctx.db.kysely
    .selectFrom('gpu_claims')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('phase', '=', 'Running');
}

export async function countRunning(t: TestServer): Promise<number> {
  const r = await runningCount(t).executeTakeFirstOrThrow();
  return Number(r.n);
}

export async function doubleBookedInDb(t: TestServer): Promise<number> {
  const rows = await t.server.ctx.db.kysely
    .selectFrom('gpu_claims')
    .select(['node_id', 'gpu_ids'])
    .where('phase', '=', 'Running')
    .execute();
  const seen = new Set<string>();
  let twice = 0;
  for (const r of rows)
    for (const g of (r.gpu_ids ?? '').split(',')) {
      const key = `${r.node_id ?? ''}/${g}`;
      if (seen.has(key)) twice++;
      seen.add(key);
    }
  return twice;
}

export async function histogramMean(t: TestServer): Promise<number> {
  const h = await t.server.ctx.metrics.schedulingSeconds.get();
  const sum = h.values.find((v) => v.metricName?.endsWith('_sum'))?.value ?? 0;
  const count = h.values.find((v) => v.metricName?.endsWith('_count'))?.value ?? 0;
  return count === 0 ? Number.NaN : (sum / count) * 1000;
}

/** FleetSize is used to size a fleet: its database, nodes and the server's extra settings. */
export type FleetSize = Pick<FleetOptions, 'db' | 'nodes' | 'gpusPerNode' | 'env'> & {
  /** GPU figures change on every answer, as real readings do (idle polling). */
  movingFigures?: boolean;
  /** Runs after the nodes are inserted and before the restart (to seed more rows). */
  prepare?: (t: TestServer, child: ChildProcess) => Promise<void>;
};

/** Fleet is used for a running server whose nodes are the fake agents of one child process. */
export interface Fleet {
  t: TestServer;
  child: ChildProcess;
  /** A user's token, for the claims. */
  token: string;
  close(): Promise<void>;
}

/** startFleet is used to start a fresh fake fleet and a server that knows its nodes. */
export async function startFleet(opts: FleetSize): Promise<Fleet> {
  const child = fork(fileURLToPath(new URL('./fake-fleet.mjs', import.meta.url)), [], {
    env: {
      ...process.env,
      FLEET_GPUS: String(opts.gpusPerNode),
      FLEET_MOVING_FIGURES: opts.movingFigures ? '1' : '0',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let t: TestServer | undefined;
  try {
    const { port } = await nextMessage(child, 'port');
    t = await startTestServer(opts.db, {
      UTOPIA_AGENT_TIMEOUT_MS: '10000',
      ...opts.env,
    });
    const rows = nodeRows(opts.nodes, opts.gpusPerNode, port, new Date().toISOString());
    for (let i = 0; i < rows.length; i += 200)
      await t.server.ctx.db.kysely
        .insertInto('nodes')
        .values(rows.slice(i, i + 200))
        .execute();
    await opts.prepare?.(t, child);
    // A restart, so the nodes are there when the controller starts leading (as after a takeover).
    await t.restart();
    const token = (await t.createUser('fleet')).token;
    const server = t;
    return {
      t: server,
      child,
      token,
      async close() {
        await server.close();
        child.kill();
      },
    };
  } catch (e) {
    await t?.close();
    child.kill();
    throw e;
  }
}

/** runFleet is used to run one burst against a fresh server and fleet, and clean both up. */
export async function runFleet(opts: FleetOptions): Promise<FleetFigures> {
  const fleet = await startFleet(opts);
  const { t, child } = fleet;
  try {
    const cpu = process.cpuUsage();
    opts.tally?.start();
    child.send({
      kind: 'post',
      url: t.url,
      token: fleet.token,
      count: opts.claims,
      concurrency: opts.postConcurrency,
      body: ONE_GPU_CLAIM,
    });
    const posted = await nextMessage(child, 'posted');
    const deadline = Date.now() + opts.timeoutMs;
    let running = await countRunning(t);
    while (running < opts.claims - posted.failed && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      running = await countRunning(t);
    }
    const used = process.cpuUsage(cpu);
    const statements = opts.tally?.stop();
    statements?.delete(runningCount(t).compile().sql);
    const span = await t.server.ctx.db.kysely
      .selectFrom('gpu_claims')
      .select((eb) => [
        eb.fn.min('created_at').as('first'),
        eb.fn.max('phase_changed_at').as('last'),
      ])
      .where('phase', '=', 'Running')
      .executeTakeFirstOrThrow();
    const burstMs = Date.parse(String(span.last)) - Date.parse(String(span.first));
    child.send({ kind: 'stats' });
    const agentStats = await nextMessage(child, 'stats');
    return {
      claims: opts.claims,
      running,
      postFailures: posted.failed,
      postMs: posted.ms,
      burstMs,
      claimsPerSecond: (running * 1000) / burstMs,
      schedulerMsPerPlacement: await histogramMean(t),
      serverCpuMsPerClaim: (used.user + used.system) / 1000 / Math.max(1, running),
      rssMiB: process.memoryUsage().rss / 2 ** 20,
      doubleBookedInDb: await doubleBookedInDb(t),
      doubleBookedOnAgents: agentStats.doubleBooked,
      loadAverage: loadavg(),
      ...(statements ? { statements } : {}),
    };
  } finally {
    await fleet.close();
  }
}
