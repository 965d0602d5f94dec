// Fixture tests for the reconciler's I/O half, as sample-controller tests its syncHandler: seed
// rows in an in-memory SQLite, run one reconcile against a fake agent that records its calls,
// then check the calls made and the rows left.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AgentContainerInfo, AgentCreateContainerRequest, ClaimSpec } from '@utopia/shared';
import {
  AgentCallError,
  type AgentClient,
  type AgentTarget,
} from '../agent-client/agent-client.js';
import { findClaim, newClaimRow } from '../claims/claims.repository.js';
import { migrateToLatest, openDatabase, type Db } from '../db/database.js';
import type { ClaimRow, NodeRow } from '../db/schema.js';
import { createServerMetrics } from '../metrics/metrics.js';
import { createClaimReconciler } from './claim-reconciler.js';
import { unfencedWrites } from './lease-fence.js';
import { createClusterModel } from '../cluster/cluster-model.js';
import { createBindBatcher } from './bind-batcher.js';

const AT = '2026-01-01T00:00:00.000Z';

function container(
  id: string,
  claimId: string,
  status: string,
  exitCode: number | null = null,
): AgentContainerInfo {
  return {
    id,
    claim_id: claimId,
    image: 'busybox:latest',
    status,
    gpu_ids: [],
    ports: {},
    created: 0,
    started: 0,
    labels: {},
    exit_code: exitCode,
    finished: null,
    error: null,
  };
}

/** FakeAgents is used as the one AgentClient of these tests: containers in a map, calls recorded. */
class FakeAgents implements AgentClient {
  readonly calls: string[] = [];
  readonly containers = new Map<string, AgentContainerInfo>();
  createError: AgentCallError | undefined;
  #next = 1;

  createContainer(
    _t: AgentTarget,
    req: AgentCreateContainerRequest,
  ): Promise<{ containerId: string; created: boolean }> {
    this.calls.push(`create ${req.claim_id} gpus=${(req.gpu_ids ?? []).join(',')}`);
    if (this.createError) return Promise.reject(this.createError);
    const id = `ctr-${this.#next++}`;
    this.containers.set(id, container(id, req.claim_id, 'running'));
    return Promise.resolve({ containerId: id, created: true });
  }
  listContainers(): Promise<AgentContainerInfo[]> {
    this.calls.push('list');
    return Promise.resolve([...this.containers.values()]);
  }
  getContainer(_t: AgentTarget, id: string): Promise<AgentContainerInfo | undefined> {
    this.calls.push(`get ${id}`);
    return Promise.resolve(this.containers.get(id));
  }
  deleteContainer(_t: AgentTarget, id: string): Promise<void> {
    this.calls.push(`delete ${id}`);
    this.containers.delete(id);
    return Promise.resolve();
  }
  removeAllContainers(): never {
    throw new Error('not used by the reconciler');
  }
  streamLogs(): never {
    throw new Error('not used by the reconciler');
  }
  metrics(): never {
    throw new Error('not used by the reconciler');
  }
  openWebSocket(): never {
    throw new Error('not used by the reconciler');
  }
  deleteVolume(): never {
    throw new Error('not used by the reconciler');
  }
}

let db: Db;
let agents: FakeAgents;
let released: number;
let seen: string[];

beforeEach(async () => {
  db = await openDatabase('sqlite://:memory:');
  await migrateToLatest(db);
  agents = new FakeAgents();
  released = 0;
  seen = [];
  await db.kysely
    .insertInto('users')
    .values({
      id: 'u1',
      username: 'ada',
      password_hash: 'x',
      role: 'user',
      disabled: 0,
      gpu_quota: null,
      created_at: AT,
      updated_at: AT,
    })
    .execute();
});
afterEach(() => db.close());

let useModel = false;

function reconciler(): (id: string) => Promise<{ requeueAfterMs?: number }> {
  return createClaimReconciler({
    ...(useModel
      ? {
          model: createClusterModel(db.kysely, { nodeCheckMs: 0, log: () => undefined }),
          bindBatcher: createBindBatcher(db.kysely),
        }
      : {}),
    db: db.kysely,
    writes: unfencedWrites(db.kysely),
    clock: { now: () => Date.parse(AT) + 1000 },
    agents,
    supportsRowLocks: false,
    agentTokenKey: 'key',
    policy: 'best-fit',
    runningCheckMs: 10_000,
    restartBackoffMs: 1_000,
    metrics: createServerMetrics(db.kysely),
    onGpusReleased: () => released++,
    onSeen: (id, version) => seen.push(`${id}@${version ?? 'gone'}`),
  });
}

async function addNode(id: string, status: NodeRow['status'] = 'Online', gpus = 4): Promise<void> {
  const inventory = Array.from({ length: gpus }, (_, index) => ({
    index,
    uuid: `GPU-${id}-${index}`,
    model: 'NVIDIA H200',
    memoryTotalMiB: 143771,
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

async function addClaim(
  overrides: Partial<ClaimRow> = {},
  spec: Partial<ClaimSpec> = {},
): Promise<void> {
  const full: ClaimSpec = { image: 'busybox:latest', resources: { gpuCount: 2 }, ...spec };
  const row = newClaimRow({ id: 'c1', name: 'c1', ownerId: 'u1', spec: full, at: AT });
  await db.kysely
    .insertInto('gpu_claims')
    .values({ ...row, ...overrides })
    .execute();
  if (overrides.node_id && overrides.gpu_ids) {
    await db.kysely
      .insertInto('gpu_reservations')
      .values(
        overrides.gpu_ids.split(',').map((i) => ({
          node_id: overrides.node_id ?? '',
          gpu_index: Number(i),
          claim_id: 'c1',
          created_at: AT,
        })),
      )
      .execute();
  }
}

const reservations = async (): Promise<string[]> =>
  (await db.kysely.selectFrom('gpu_reservations').selectAll().orderBy('gpu_index').execute()).map(
    (r) => `${r.node_id}/${r.gpu_index}`,
  );
const events = async (): Promise<string[]> =>
  (
    await db.kysely
      .selectFrom('events')
      .select('reason')
      .where('object_id', '=', 'c1')
      .orderBy('id')
      .execute()
  ).map((e) => e.reason);

// Every case runs twice: on a snapshot read per placement, and on the leader's cluster model.
for (const withModel of [false, true]) {
  const suffix = withModel ? ' (cluster model)' : '';
  describe(withModel ? 'on the cluster model' : 'on snapshots', () => {
    beforeEach(() => {
      useModel = withModel;
    });
    describe(`reconcile: a Pending claim${suffix}`, () => {
      it('is bound, reserved, started and Running in one reconcile', async () => {
        await addNode('n1');
        await addClaim();
        const result = await reconciler()('c1');
        assert.deepEqual(agents.calls, ['create c1 gpus=0,1']);
        const claim = await findClaim(db.kysely, 'c1');
        assert.equal(claim?.phase, 'Running');
        assert.equal(claim?.container_id, 'ctr-1');
        assert.equal(claim?.node_id, 'n1');
        assert.ok(claim?.placement?.includes('"nodesFeasible":1'), 'placement metrics are stored');
        assert.deepEqual(await reservations(), ['n1/0', 'n1/1']);
        assert.deepEqual(await events(), ['Scheduled', 'Started']);
        assert.deepEqual(result, { requeueAfterMs: 10_000 });
      });

      it('that fits nowhere says why once, with its metrics, and calls no agent', async () => {
        await addNode('n1', 'Offline');
        await addClaim();
        await reconciler()('c1');
        await reconciler()('c1');
        const claim = await findClaim(db.kysely, 'c1');
        assert.equal(claim?.phase, 'Pending');
        assert.equal(claim?.reason, 'Unschedulable');
        assert.match(claim?.message ?? '', /1 is Offline/);
        assert.ok(claim?.placement?.includes('"node offline":1'));
        assert.deepEqual(await events(), ['FailedScheduling']);
        assert.deepEqual(agents.calls, []);
      });
    });

    describe(`reconcile: the agent refuses the create${suffix}`, () => {
      it('for good: Failed with the reason, GPUs released', async () => {
        await addNode('n1');
        await addClaim({ phase: 'Scheduled', node_id: 'n1', gpu_ids: '0,1' });
        agents.createError = new AgentCallError('no such image', {
          permanent: true,
          reason: 'IMAGE_NOT_FOUND',
          status: 404,
        });
        await reconciler()('c1');
        const claim = await findClaim(db.kysely, 'c1');
        assert.equal(claim?.phase, 'Failed');
        assert.equal(claim?.reason, 'IMAGE_NOT_FOUND');
        assert.deepEqual(await reservations(), []);
        assert.equal(released, 1);
      });

      it('for now: says so once and throws for the queue to back off, keeping the GPUs', async () => {
        await addNode('n1');
        await addClaim({ phase: 'Scheduled', node_id: 'n1', gpu_ids: '0,1' });
        agents.createError = new AgentCallError('unreachable', {
          permanent: false,
          reason: 'UNREACHABLE',
        });
        await assert.rejects(reconciler()('c1'), AgentCallError);
        await assert.rejects(reconciler()('c1'), AgentCallError);
        const claim = await findClaim(db.kysely, 'c1');
        assert.equal(claim?.phase, 'Scheduled');
        assert.equal(claim?.reason, 'AgentUnavailable');
        assert.deepEqual(await events(), ['AgentUnavailable']);
        assert.deepEqual(await reservations(), ['n1/0', 'n1/1']);
      });
    });

    describe(`reconcile: a Running claim${suffix}`, () => {
      it('whose container exited restarts after backoff (Always)', async () => {
        await addNode('n1');
        await addClaim({
          phase: 'Running',
          node_id: 'n1',
          gpu_ids: '0,1',
          container_id: 'ctr-old',
        });
        agents.containers.set('ctr-old', container('ctr-old', 'c1', 'exited', 137));
        const result = await reconciler()('c1');
        assert.deepEqual(agents.calls, ['get ctr-old', 'delete ctr-old']);
        const claim = await findClaim(db.kysely, 'c1');
        assert.equal(claim?.phase, 'Scheduled');
        assert.equal(claim?.restart_count, 1);
        assert.equal(claim?.exit_code, 137);
        assert.deepEqual(result, { requeueAfterMs: 1_000 });
        assert.deepEqual(
          await reservations(),
          ['n1/0', 'n1/1'],
          'keeps its GPUs while backing off',
        );
      });

      it('whose container exited 0 with restartPolicy Never Succeeds and frees its GPUs', async () => {
        await addNode('n1');
        await addClaim(
          { phase: 'Running', node_id: 'n1', gpu_ids: '0,1', container_id: 'ctr-old' },
          { restartPolicy: 'Never' },
        );
        agents.containers.set('ctr-old', container('ctr-old', 'c1', 'exited', 0));
        await reconciler()('c1');
        const claim = await findClaim(db.kysely, 'c1');
        assert.equal(claim?.phase, 'Succeeded');
        assert.deepEqual(await reservations(), []);
      });

      it('on a node gone Offline goes back to Pending and is placed elsewhere', async () => {
        await addNode('n1', 'Offline');
        await addNode('n2');
        await addClaim({
          phase: 'Running',
          node_id: 'n1',
          gpu_ids: '0,1',
          container_id: 'ctr-old',
        });
        await reconciler()('c1');
        const claim = await findClaim(db.kysely, 'c1');
        assert.equal(claim?.phase, 'Running');
        assert.equal(claim?.node_id, 'n2');
        assert.deepEqual(await reservations(), ['n2/0', 'n2/1']);
        assert.deepEqual(await events(), ['NodeLost', 'Scheduled', 'Started']);
      });

      it('on a deleted node does the same, saying so', async () => {
        await addNode('n2');
        await addClaim({
          phase: 'Running',
          node_id: 'gone',
          gpu_ids: '0,1',
          container_id: 'ctr-old',
        });
        await reconciler()('c1');
        const claim = await findClaim(db.kysely, 'c1');
        assert.equal(claim?.node_id, 'n2');
        assert.deepEqual(await reservations(), ['n2/0', 'n2/1']);
        assert.equal((await events())[0], 'NodeDeleted');
      });

      it('asked to move by a drain has its container removed and moves', async () => {
        await addNode('n1');
        await addNode('n2');
        await db.kysely
          .updateTable('nodes')
          .set({ schedulable: 0 })
          .where('id', '=', 'n1')
          .execute();
        await addClaim({
          phase: 'Running',
          node_id: 'n1',
          gpu_ids: '0,1',
          container_id: 'ctr-old',
          reschedule_requested_at: AT,
        });
        agents.containers.set('ctr-old', container('ctr-old', 'c1', 'running'));
        await reconciler()('c1');
        assert.deepEqual(agents.calls.slice(0, 2), ['list', 'delete ctr-old']);
        const claim = await findClaim(db.kysely, 'c1');
        assert.equal(claim?.node_id, 'n2');
        assert.equal(claim?.reschedule_requested_at, null);
        assert.deepEqual(await events(), ['NodeDrained', 'Scheduled', 'Started']);
      });
    });

    describe(`reconcile: deletion${suffix}`, () => {
      it('goes Terminating, removes every container of the claim, then the row, GPUs and events', async () => {
        await addNode('n1');
        await addClaim({
          phase: 'Running',
          node_id: 'n1',
          gpu_ids: '0,1',
          container_id: 'ctr-a',
          deletion_requested_at: AT,
        });
        for (const id of ['ctr-a', 'ctr-b'])
          agents.containers.set(id, container(id, 'c1', 'running'));
        agents.containers.set('ctr-x', container('ctr-x', 'someone-else', 'running'));
        await reconciler()('c1');
        assert.deepEqual(agents.calls, ['list', 'delete ctr-a', 'delete ctr-b']);
        assert.equal(await findClaim(db.kysely, 'c1'), undefined);
        assert.deepEqual(await reservations(), []);
        assert.deepEqual(await events(), []);
        assert.ok(agents.containers.has('ctr-x'), "another claim's container stays");
        assert.equal(seen.at(-1), 'c1@gone', 'the controller forgets the removed claim at once');
      });

      it('on an Offline node removes the row without asking the agent', async () => {
        await addNode('n1', 'Offline');
        await addClaim({
          phase: 'Terminating',
          node_id: 'n1',
          gpu_ids: '0,1',
          container_id: 'ctr-a',
          deletion_requested_at: AT,
        });
        await reconciler()('c1');
        assert.deepEqual(agents.calls, []);
        assert.equal(await findClaim(db.kysely, 'c1'), undefined);
        assert.deepEqual(await reservations(), []);
      });

      it('of a claim that is already gone is a no-op', async () => {
        assert.deepEqual(await reconciler()('nope'), {});
      });
    });
  });
}
