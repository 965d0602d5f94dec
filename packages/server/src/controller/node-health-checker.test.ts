// The health loop's writes: idle polling writes nothing; status and inventory changes write once;
// live figures are served from memory; polls stay within their concurrency bound.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AgentContainerInfo, AgentMetricsResponse } from '@utopia/shared';
import type { AgentClient, AgentTarget } from '../agent-client/agent-client.js';
import { migrateToLatest, openDatabase, type Db } from '../db/database.js';
import type { NodeRow } from '../db/schema.js';
import { LiveNodeFigures } from '../nodes/live-node-figures.js';
import { findNodeView } from '../nodes/nodes.repository.js';
import { newClaimRow } from '../claims/claims.repository.js';
import { fakeContainerInfo, fakeUserRow } from '../testing/fake-claim-rows.js';
import { createNodeHealthChecker } from './node-health-checker.js';

const AT = '2026-01-01T00:00:00.000Z';

/** FleetAgents is used as the AgentClient: each node answers its figures, or fails. */
class FleetAgents implements AgentClient {
  readonly figures = new Map<string, { util: number; gpus: number }>();
  /** What each node reports as its capacity; none: an agent that reports none. */
  readonly capacity = new Map<string, { cpus: number; memory_mib: number }>();
  readonly down = new Set<string>();
  inFlight = 0;
  maxInFlight = 0;
  /** When each metrics call began (performance.now()). */
  readonly calledAt: number[] = [];

  async metrics(t: AgentTarget): Promise<AgentMetricsResponse> {
    this.calledAt.push(performance.now());
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((r) => setTimeout(r, 2));
    this.inFlight--;
    if (this.down.has(t.nodeId)) throw new Error('connect ECONNREFUSED');
    const f = this.figures.get(t.nodeId) ?? { util: 0, gpus: 2 };
    const gpus = Array.from({ length: f.gpus }, (_, id) => ({
      id,
      temperature_c: 40 + f.util / 10,
      memory_total_mb: 143771,
      memory_used_mb: f.util * 100,
      name: 'NVIDIA H200',
      uuid: `GPU-${t.nodeId}-${id}`,
      busy: f.util > 0,
      usage_percent: f.util,
    }));
    const system = {
      cpu_usage_percent: 1,
      memory_usage_percent: 1,
      memory_total_mb: 1,
      memory_used_mb: 1,
      disk_usage_percent: 1,
      load_average: [0, 0, 0],
      uptime: 1,
    };
    const capacity = this.capacity.get(t.nodeId);
    return {
      node_id: t.nodeId,
      cpu_usage_percent: 1,
      memory_usage_percent: 1,
      gpus,
      system,
      ...(capacity ? { capacity } : {}),
    };
  }
  /** Each node's containers, as its agent lists them. */
  readonly containers = new Map<string, AgentContainerInfo[]>();
  readonly deleted: string[] = [];
  async listContainers(t: AgentTarget): Promise<AgentContainerInfo[]> {
    return this.containers.get(t.nodeId) ?? [];
  }
  createContainer(): never {
    throw new Error('not used');
  }
  getContainer(): never {
    throw new Error('not used');
  }
  async deleteContainer(_t: AgentTarget, id: string): Promise<void> {
    this.deleted.push(id);
  }
  removeAllContainers(): never {
    throw new Error('not used');
  }
  streamLogs(): never {
    throw new Error('not used');
  }
  openWebSocket(): never {
    throw new Error('not used');
  }
  deleteVolume(): never {
    throw new Error('not used');
  }
}

let db: Db;
let agents: FleetAgents;
let live: LiveNodeFigures;
let now: number;

beforeEach(async () => {
  db = await openDatabase('sqlite://:memory:');
  await migrateToLatest(db);
  agents = new FleetAgents();
  live = new LiveNodeFigures();
  now = Date.parse(AT);
});
afterEach(() => db.close());
beforeEach(() => {
  claimsWoken = [];
});

let nodesChanged = 0;
let claimsWoken: string[] = [];

function checker(concurrency = 64, spreadMs = 0): { pollOnce(): Promise<void> } {
  return createNodeHealthChecker({
    spreadMs,
    db: db.kysely,
    clock: { now: () => now },
    agents,
    agentTokenKey: 'key',
    graceMs: 1000,
    concurrency,
    liveFigures: live,
    onNodesChanged: () => void nodesChanged++,
    onClaimChanged: (id) => void claimsWoken.push(id),
    log: () => undefined,
  });
}

async function addNode(id: string, status: NodeRow['status'] = 'Online'): Promise<void> {
  const inventory = [0, 1].map((index) => ({
    index,
    uuid: `GPU-${id}-${index}`,
    model: 'NVIDIA H200',
    memoryTotalMiB: 143771,
    memoryUsedMiB: null,
    utilizationPercent: null,
    temperatureC: null,
  }));
  await db.kysely
    .insertInto('nodes')
    .values({
      id,
      hostname: `${id}.lab`,
      machine_id: id,
      status,
      schedulable: 1,
      labels: '{}',
      gpus: JSON.stringify(inventory),
      agent_version: 'test',
      address: 'http://127.0.0.1:9',
      tunnel_port: null,
      credential_hash: 'x',
      join_token_id: null,
      last_heartbeat_at: AT,
      status_changed_at: AT,
      created_at: AT,
      updated_at: AT,
      version: 1,
    })
    .execute();
}

const versionOf = async (id: string): Promise<number | undefined> =>
  (await findNodeView(db.kysely, id))?.version;
const changeRows = async (): Promise<number> =>
  Number(
    (
      await db.kysely
        .selectFrom('resource_changes')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('node health polling', () => {
  it('writes nothing while nodes answer and only their figures move; the API sees the figures', async () => {
    for (const id of ['n1', 'n2', 'n3']) await addNode(id);
    const poll = checker().pollOnce;
    await poll(); // the first poll finds the inventory unchanged: no write either
    const changesBefore = await changeRows();
    for (let i = 1; i <= 5; i++) {
      now += 5000;
      agents.figures.set('n1', { util: i * 10, gpus: 2 });
      await poll();
    }
    assert.equal(await versionOf('n1'), 1, 'the node row was not rewritten');
    assert.equal(await changeRows(), changesBefore, 'no change-feed rows either');
    const view = await findNodeView(db.kysely, 'n1');
    assert.ok(view);
    const shown = live.overlay(view.node);
    assert.deepEqual(
      shown.gpus.map((g) => [g.utilizationPercent, g.memoryUsedMiB, g.temperatureC]),
      [
        [50, 5000, 45],
        [50, 5000, 45],
      ],
    );
    assert.equal(shown.lastHeartbeatAt, new Date(now).toISOString());
    assert.equal(view.node.gpus[0]?.utilizationPercent, null, 'the row keeps what it had');
  });

  it('writes once when a node comes Online and once when its inventory changes', async () => {
    await addNode('n1', 'Registering');
    const poll = checker().pollOnce;
    await poll();
    assert.equal(await versionOf('n1'), 2);
    assert.equal((await findNodeView(db.kysely, 'n1'))?.node.status, 'Online');
    await poll();
    assert.equal(await versionOf('n1'), 2);
    agents.figures.set('n1', { util: 0, gpus: 3 }); // a GPU appears
    await poll();
    assert.equal(await versionOf('n1'), 3);
    assert.equal((await findNodeView(db.kysely, 'n1'))?.node.gpuCount, 3);
    await poll();
    assert.equal(await versionOf('n1'), 3);
  });

  it('an Offline node loses its live figures; a deleted one is forgotten', async () => {
    await addNode('n1');
    await addNode('n2');
    const poll = checker().pollOnce;
    await poll();
    assert.equal(live.size, 2);
    agents.down.add('n1');
    for (let i = 0; i < 3; i++) {
      now += 1000;
      await poll();
    }
    const view = await findNodeView(db.kysely, 'n1');
    assert.equal(view?.node.status, 'Offline');
    assert.equal(live.figuresOf('n1'), undefined);
    await db.kysely.deleteFrom('nodes').where('id', '=', 'n2').execute();
    await poll();
    assert.equal(live.size, 0);
  });

  it('stores the capacity an agent reports, writing (and waking Pending claims) only on change', async () => {
    await addNode('n1');
    const poll = checker().pollOnce;
    await poll();
    assert.equal((await findNodeView(db.kysely, 'n1'))?.node.capacity, null, 'none reported');
    agents.capacity.set('n1', { cpus: 15.5, memory_mib: 65536 });
    nodesChanged = 0;
    await poll();
    const view = await findNodeView(db.kysely, 'n1');
    assert.deepEqual(view?.node.capacity, { cpus: 15.5, memoryMiB: 65536 });
    assert.equal(nodesChanged, 1, 'more room may place a Pending claim');
    await poll();
    assert.equal(await versionOf('n1'), view?.version, 'the same capacity writes nothing');
    agents.capacity.set('n1', { cpus: 15.5, memory_mib: 32768 });
    await poll();
    assert.equal((await findNodeView(db.kysely, 'n1'))?.node.capacity?.memoryMiB, 32768);
    assert.equal(nodesChanged, 2);
  });

  it('polls at most `concurrency` agents at once', async () => {
    for (let i = 0; i < 20; i++) await addNode(`n${String(i).padStart(2, '0')}`);
    await checker(3).pollOnce();
    assert.equal(agents.maxInFlight, 3);
    assert.equal(live.size, 20);
  });

  it('spreads a poll over its span instead of calling every agent at once', async () => {
    for (let i = 0; i < 20; i++) await addNode(`n${String(i).padStart(2, '0')}`);
    const started = performance.now();
    await checker(64, 400).pollOnce();
    // Node i's call starts no earlier than i × 400 / 20 ms in, on a 100 ms tick: the last (380)
    // at 300 ms or later, the 11th (200) at 200.
    const last = Math.max(...agents.calledAt) - started;
    assert.ok(last >= 290, `last call ${last.toFixed(0)} ms in`);
    const tenth = [...agents.calledAt].sort((a, b) => a - b)[10] ?? 0;
    assert.ok(tenth - started >= 190, `11th call ${(tenth - started).toFixed(0)} ms in`);
    assert.equal(live.size, 20);
  });

  it("wakes a Running claim whose container stopped or vanished, and removes an orphan's", async () => {
    await addNode('n1');
    await db.kysely.insertInto('users').values(fakeUserRow('u1', AT)).execute();
    const spec = { image: 'busybox:latest', resources: { gpuCount: 1 } };
    for (const id of ['live', 'exited', 'vanished'])
      await db.kysely
        .insertInto('gpu_claims')
        .values({
          ...newClaimRow({ id, name: id, ownerId: 'u1', spec, at: AT }),
          phase: 'Running',
          node_id: 'n1',
          gpu_ids: '0',
          container_id: `ctr-${id}`,
        })
        .execute();
    const info = fakeContainerInfo;
    agents.containers.set('n1', [
      info('ctr-live', 'live', 'running'),
      info('ctr-exited', 'exited', 'exited'),
      info('ctr-orphan', 'deleted-claim', 'running'),
    ]);
    now += 5000; // the claims were Running before this poll's lists were asked for
    await checker().pollOnce();
    assert.deepEqual(claimsWoken.sort(), ['exited', 'vanished']);
    assert.deepEqual(agents.deleted, ['ctr-orphan']);
  });
});
