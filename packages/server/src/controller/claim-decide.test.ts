import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClaimSpec, RestartPolicy } from '@utopia/shared';
import type { AgentTarget } from '../agent-client/agent-client.js';
import type { ClaimRow } from '../db/schema.js';
import { newClaimRow } from '../claims/claims.repository.js';
import { mockNode } from '../scheduler/mock.js';
import {
  decideClaimAction,
  MAX_RESTART_BACKOFF_MS,
  restartDelayMs,
  type ClaimAction,
} from './claim-decide.js';
import {
  observationsFor,
  type ClaimState,
  type ContainerObservation,
  type CreateOutcome,
  type NodeState,
} from './claim-state.js';

const AT = '2026-01-01T00:00:00.000Z';
const OPTS = { policy: 'best-fit', runningCheckMs: 10_000, restartBackoffMs: 1_000 } as const;
const TARGET: AgentTarget = { nodeId: 'node-a', baseUrl: 'http://127.0.0.1:1', token: 't' };

function claimRow(overrides: Partial<ClaimRow> = {}): ClaimRow {
  const row = newClaimRow({ id: 'claim-1', name: 'c', ownerId: 'u', spec: spec(), at: AT });
  return { ...row, ...overrides };
}

const NODE_STATES: Record<NodeState['kind'], NodeState> = {
  none: { kind: 'none' },
  deleted: { kind: 'deleted' },
  offline: { kind: 'offline', hostname: 'node-a.lab' },
  unready: { kind: 'unready', hostname: 'node-a.lab' },
  ready: { kind: 'ready', hostname: 'node-a.lab', target: TARGET },
};

const CONTAINERS: Record<string, ContainerObservation | undefined> = {
  unobserved: undefined,
  alive: { kind: 'alive' },
  'exited 0': { kind: 'exited', exitCode: 0 },
  'exited 1': { kind: 'exited', exitCode: 1 },
  missing: { kind: 'missing' },
};

function spec(restartPolicy: RestartPolicy = 'Always'): ClaimSpec {
  return {
    image: 'busybox:latest',
    resources: { gpuCount: 2 },
    command: ['sleep', '60'],
    env: { A: 'b' },
    restartPolicy,
  };
}

function bound(phase: ClaimRow['phase'], extra: Partial<ClaimRow> = {}): ClaimRow {
  return claimRow({ phase, node_id: 'node-a', gpu_ids: '0,1', container_id: 'ctr-1', ...extra });
}

function state(claim: ClaimRow, node: NodeState, extra: Partial<ClaimState> = {}): ClaimState {
  return { claim, spec: spec(), node, ...extra };
}

/** summary is used to compare an action by what matters to a reader of the table. */
function summary(a: ClaimAction): string {
  switch (a.kind) {
    case 'wait':
      return a.requeueAfterMs === undefined ? 'wait' : `wait ${a.requeueAfterMs}`;
    case 'reschedule':
      return `reschedule ${a.reason}${a.remove ? ` removing ${a.remove.ids.join(',')}` : ''}`;
    case 'remove':
      return `remove${a.remove ? ` ${a.remove.ids.join(',')}` : ''}`;
    case 'restart':
      return `restart ${a.restartCount} after ${a.delayMs}`;
    case 'finish':
      return `finish ${a.succeeded ? 'Succeeded' : 'Failed'} ${a.exitCode ?? 'null'}`;
    case 'fail':
      return `fail ${a.reason}`;
    case 'retryLater':
      return a.message === undefined ? 'retryLater quietly' : 'retryLater saying why';
    default:
      return a.kind;
  }
}

describe('decideClaimAction: Scheduled × node state', () => {
  const table: Array<[NodeState['kind'], string]> = [
    ['none', 'reschedule NodeDeleted'],
    ['deleted', 'reschedule NodeDeleted'],
    ['offline', 'reschedule NodeLost'],
    ['unready', 'wait 10000'],
    ['ready', 'createContainer'],
  ];
  for (const [node, expected] of table) {
    it(`node ${node} → ${expected}`, () => {
      const claim = bound('Scheduled', { container_id: null });
      assert.equal(summary(decideClaimAction(state(claim, NODE_STATES[node]), OPTS)), expected);
    });
  }

  it('asks the agent for exactly the reserved GPUs, env and command', () => {
    const a = decideClaimAction(state(bound('Scheduled'), NODE_STATES.ready), OPTS);
    assert.equal(a.kind, 'createContainer');
    if (a.kind !== 'createContainer') return;
    assert.deepEqual(a.request, {
      claim_id: 'claim-1',
      image: 'busybox:latest',
      gpu_ids: [0, 1],
      env_vars: ['A=b'],
      port_mappings: [],
      command: ['sleep', '60'],
      shm_size_mib: 2048,
    });
  });

  it("asks for the claim's limits, its owner's volumes and its host paths", () => {
    const storage: ClaimSpec = {
      ...spec(),
      resources: { gpuCount: 2, cpus: 1.5, memoryMiB: 3000 },
      volumes: [{ name: 'data', mountPath: '/data' }],
      hostPaths: [{ path: '/datasets/imagenet', mountPath: '/in', readOnly: true }],
    };
    const s = { ...state(bound('Scheduled'), NODE_STATES.ready), spec: storage };
    const a = decideClaimAction(s, OPTS);
    assert.equal(a.kind, 'createContainer');
    if (a.kind !== 'createContainer') return;
    assert.equal(a.request.cpus, 1.5);
    assert.equal(a.request.memory_mib, 3000);
    assert.equal(a.request.shm_size_mib, 1500, 'half of the memory limit, under 2 GiB');
    assert.deepEqual(a.request.named_volumes, [
      { owner: 'u', name: 'data', mount_path: '/data', read_only: false },
    ]);
    assert.deepEqual(a.request.host_paths, [
      { path: '/datasets/imagenet', mount_path: '/in', read_only: true },
    ]);
    const started = decideClaimAction(
      { ...s, created: { kind: 'created', containerId: 'ctr-9' } },
      OPTS,
    );
    assert.equal(started.kind, 'markRunning');
    if (started.kind === 'markRunning') assert.deepEqual(started.volumeNames, ['data']);
  });
});

describe('decideClaimAction: Pending with limits and volumes', () => {
  const small = mockNode({ id: 'node-a', capacity: { cpuMillis: 4000, memoryMiB: 2048 } });
  const big = mockNode({
    id: 'node-b',
    gpuCount: 8,
    capacity: { cpuMillis: 4000, memoryMiB: 65536 },
  });
  const cluster = (volumeNodes: Record<string, string[]> = {}): ClaimState['cluster'] => ({
    nodes: [small, big],
    reservations: [],
    usage: [{ nodeId: 'node-b', claimId: 'x', cpuMillis: 0, memoryMiB: 64512 }],
    volumeNodes,
  });
  const withLimits = (extra: Partial<ClaimSpec>): ClaimSpec => ({
    ...spec(),
    resources: { gpuCount: 1, memoryMiB: 4096 },
    ...extra,
  });

  it('an over-limit memoryMiB stays Pending, saying how much is free', () => {
    const s = {
      ...state(claimRow(), NODE_STATES.none, { cluster: cluster() }),
      spec: withLimits({}),
    };
    const a = decideClaimAction(s, OPTS);
    assert.equal(a.kind, 'recordUnschedulable');
    if (a.kind !== 'recordUnschedulable') return;
    assert.equal(
      a.message,
      '0/2 nodes fit: 2 have insufficient memory: at most 2048 free of 2048 MiB, 4096 asked',
    );
  });

  it("prefers the node with the claim's volume", () => {
    const vol = { volumes: [{ name: 'data', mountPath: '/data' }] };
    const fits = withLimits({ ...vol, resources: { gpuCount: 1, memoryMiB: 1024 } });
    const here = {
      ...state(claimRow(), NODE_STATES.none, { cluster: cluster({ data: ['node-b'] }) }),
      spec: fits,
    };
    const a = decideClaimAction(here, OPTS);
    assert.equal(a.kind === 'bind' ? a.nodeId : a.kind, 'node-b');
    const none = { ...here, cluster: cluster({ data: [] }) };
    const b = decideClaimAction(none, OPTS);
    assert.equal(b.kind === 'bind' ? b.nodeId : b.kind, 'node-a', 'best fit without a volume');
  });
});

describe('decideClaimAction: Scheduled × create outcome', () => {
  const error = new Error('agent down');
  const table: Array<[string, CreateOutcome, Partial<ClaimRow>, string]> = [
    ['created', { kind: 'created', containerId: 'ctr-9' }, {}, 'markRunning'],
    [
      'refused for good',
      { kind: 'refused', permanent: true, reason: 'IMAGE_NOT_FOUND', message: 'no image', error },
      {},
      'fail IMAGE_NOT_FOUND',
    ],
    [
      'refused for now, first time',
      { kind: 'refused', permanent: false, reason: 'UNREACHABLE', message: 'down', error },
      {},
      'retryLater saying why',
    ],
    [
      'refused for now, already said',
      { kind: 'refused', permanent: false, reason: 'UNREACHABLE', message: 'down', error },
      { reason: 'AgentUnavailable' },
      'retryLater quietly',
    ],
  ];
  for (const [name, created, extra, expected] of table) {
    it(`${name} → ${expected}`, () => {
      const claim = bound('Scheduled', { container_id: null, ...extra });
      const a = decideClaimAction(state(claim, NODE_STATES.ready, { created }), OPTS);
      assert.equal(summary(a), expected);
    });
  }
});

describe('decideClaimAction: Running × node state × container state × restart policy', () => {
  // Rows: [node, container, policy, expected]. Backoff for the first restart is the base delay.
  const table: Array<[NodeState['kind'], string, RestartPolicy, string]> = [];
  for (const node of ['none', 'deleted'] as const)
    for (const c of Object.keys(CONTAINERS))
      table.push([node, c, 'Always', 'reschedule NodeDeleted']);
  for (const c of Object.keys(CONTAINERS))
    table.push(['offline', c, 'Always', 'reschedule NodeLost']);
  for (const c of Object.keys(CONTAINERS)) table.push(['unready', c, 'Always', 'wait 10000']);
  table.push(
    ['ready', 'unobserved', 'Always', 'wait 10000'],
    ['ready', 'alive', 'Always', 'wait 10000'],
    ['ready', 'alive', 'Never', 'wait 10000'],
    ['ready', 'exited 0', 'Always', 'restart 1 after 1000'],
    ['ready', 'exited 0', 'OnFailure', 'finish Succeeded 0'],
    ['ready', 'exited 0', 'Never', 'finish Succeeded 0'],
    ['ready', 'exited 1', 'Always', 'restart 1 after 1000'],
    ['ready', 'exited 1', 'OnFailure', 'restart 1 after 1000'],
    ['ready', 'exited 1', 'Never', 'finish Failed 1'],
    ['ready', 'missing', 'Always', 'restart 1 after 1000'],
    ['ready', 'missing', 'OnFailure', 'restart 1 after 1000'],
    ['ready', 'missing', 'Never', 'finish Failed null'],
  );
  for (const [node, c, policy, expected] of table) {
    it(`node ${node}, container ${c}, ${policy} → ${expected}`, () => {
      const container = CONTAINERS[c];
      const s: ClaimState = {
        claim: bound('Running'),
        spec: spec(policy),
        node: NODE_STATES[node],
        ...(container ? { container } : {}),
      };
      assert.equal(summary(decideClaimAction(s, OPTS)), expected);
    });
  }

  it('backs restarts off exponentially up to the cap', () => {
    const a = decideClaimAction(
      {
        ...state(bound('Running', { restart_count: 3 }), NODE_STATES.ready),
        container: { kind: 'missing' },
      },
      OPTS,
    );
    assert.equal(summary(a), 'restart 4 after 8000');
    assert.equal(restartDelayMs(1_000, 40), MAX_RESTART_BACKOFF_MS);
  });
});

describe('decideClaimAction: Pending', () => {
  const node = mockNode({ id: 'node-a', gpuCount: 4 });
  it('binds to a node that fits, with its placement metrics', () => {
    const a = decideClaimAction(
      state(claimRow(), NODE_STATES.none, {
        cluster: { nodes: [node], reservations: [], usage: [], volumeNodes: {} },
      }),
      OPTS,
    );
    assert.equal(a.kind, 'bind');
    if (a.kind !== 'bind') return;
    assert.deepEqual([a.nodeId, a.gpuIndices], ['node-a', [0, 1]]);
    assert.equal(a.placement.nodesFeasible, 1);
  });

  it('says why when nothing fits, once', () => {
    const full = {
      nodes: [node],
      reservations: [0, 1, 2].map((gpuIndex) => ({ nodeId: 'node-a', gpuIndex, claimId: 'x' })),
      usage: [],
      volumeNodes: {},
    };
    const first = decideClaimAction(state(claimRow(), NODE_STATES.none, { cluster: full }), OPTS);
    assert.equal(first.kind, 'recordUnschedulable');
    if (first.kind !== 'recordUnschedulable') return;
    assert.match(first.message, /0\/1 nodes fit/);
    assert.equal(first.placement.nodesExhausted, 1);
    const again = claimRow({ reason: 'Unschedulable', message: first.message });
    assert.equal(
      summary(decideClaimAction(state(again, NODE_STATES.none, { cluster: full }), OPTS)),
      'wait',
    );
  });

  it('waits when the cluster was not read', () => {
    assert.equal(summary(decideClaimAction(state(claimRow(), NODE_STATES.none), OPTS)), 'wait');
  });
});

describe('decideClaimAction: final phases', () => {
  for (const phase of ['Succeeded', 'Failed'] as const)
    for (const node of Object.keys(NODE_STATES) as NodeState['kind'][])
      it(`${phase}, node ${node} → wait`, () => {
        assert.equal(
          summary(decideClaimAction(state(bound(phase), NODE_STATES[node]), OPTS)),
          'wait',
        );
      });
});

describe('decideClaimAction: deletion wins over everything', () => {
  const deleting = { deletion_requested_at: '2026-01-01T00:00:01.000Z' };
  for (const phase of ['Pending', 'Scheduled', 'Running', 'Succeeded', 'Failed'] as const)
    for (const node of Object.keys(NODE_STATES) as NodeState['kind'][])
      it(`${phase}, node ${node}, deletion requested → markTerminating`, () => {
        const claim = bound(phase, {
          ...deleting,
          reschedule_requested_at: deleting.deletion_requested_at,
        });
        assert.equal(
          summary(decideClaimAction(state(claim, NODE_STATES[node]), OPTS)),
          'markTerminating',
        );
      });
  const table: Array<[NodeState['kind'], readonly string[] | undefined, string]> = [
    ['ready', ['ctr-1', 'ctr-old'], 'remove ctr-1,ctr-old'],
    ['ready', [], 'remove'],
    ['unready', undefined, 'remove'],
    ['offline', undefined, 'remove'],
    ['deleted', undefined, 'remove'],
    ['none', undefined, 'remove'],
  ];
  for (const [node, claimContainers, expected] of table)
    it(`Terminating, node ${node} → ${expected}`, () => {
      const s = state(
        bound('Terminating', deleting),
        NODE_STATES[node],
        claimContainers ? { claimContainers } : {},
      );
      assert.equal(summary(decideClaimAction(s, OPTS)), expected);
    });
});

describe('decideClaimAction: a drain moves bound claims', () => {
  const drained = { reschedule_requested_at: '2026-01-01T00:00:01.000Z' };
  for (const phase of ['Scheduled', 'Running'] as const) {
    it(`${phase} on a ready node → reschedule, removing its containers`, () => {
      const s = state(bound(phase, drained), NODE_STATES.ready, { claimContainers: ['ctr-1'] });
      assert.equal(summary(decideClaimAction(s, OPTS)), 'reschedule NodeDrained removing ctr-1');
    });
    for (const node of ['unready', 'offline', 'deleted'] as const)
      it(`${phase} on an ${node} node → reschedule (the orphan sweep removes leftovers)`, () => {
        const s = state(bound(phase, drained), NODE_STATES[node]);
        assert.equal(summary(decideClaimAction(s, OPTS)), 'reschedule NodeDrained');
      });
  }
  it('a claim that already left the node ignores a stale request', () => {
    const s = state(claimRow(drained), NODE_STATES.none, {
      cluster: {
        nodes: [mockNode({ id: 'node-b' })],
        reservations: [],
        usage: [],
        volumeNodes: {},
      },
    });
    assert.equal(summary(decideClaimAction(s, OPTS)), 'bind');
  });
});

describe('observationsFor: reads only what the decision looks at', () => {
  const at = '2026-01-01T00:00:01.000Z';
  const table: Array<[string, ClaimRow, NodeState['kind'], string]> = [
    ['Pending', claimRow(), 'none', 'cluster'],
    ['Pending, deletion requested', claimRow({ deletion_requested_at: at }), 'none', ''],
    ['Scheduled', bound('Scheduled'), 'ready', ''],
    ['Running', bound('Running'), 'ready', 'container'],
    ['Running, node unready', bound('Running'), 'unready', ''],
    ['Running, node offline', bound('Running'), 'offline', ''],
    ['Running, deletion requested', bound('Running', { deletion_requested_at: at }), 'ready', ''],
    [
      'Terminating',
      bound('Terminating', { deletion_requested_at: at }),
      'ready',
      'claimContainers',
    ],
    [
      'Terminating, node offline',
      bound('Terminating', { deletion_requested_at: at }),
      'offline',
      '',
    ],
    [
      'Running, drained',
      bound('Running', { reschedule_requested_at: at }),
      'ready',
      'claimContainers',
    ],
    ['Succeeded', bound('Succeeded'), 'ready', ''],
  ];
  for (const [name, claim, node, expected] of table)
    it(`${name}, node ${node} → ${expected || 'nothing'}`, () => {
      const needs = observationsFor(claim, NODE_STATES[node]);
      const got = (Object.keys(needs) as (keyof typeof needs)[]).filter((k) => needs[k]).join(',');
      assert.equal(got, expected);
    });
});
