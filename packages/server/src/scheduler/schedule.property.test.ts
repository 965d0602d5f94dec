// Seeded random clusters checked against a brute-force oracle: determinism, order independence,
// and the invariant that a reserved GPU is never handed out twice.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEligibleGpu } from './capacity.js';
import { matchesNodeSelector } from './filters.js';
import { mockGpu, mockNode } from './mock.js';
import { schedule } from './schedule.js';
import type {
  NodeStatus,
  NodeView,
  PlacementRequest,
  ReservationView,
  SchedulingPolicy,
  UsageView,
} from './types.js';
import { mulberry32, type Rng } from '../testing/random.js';

const createRng = mulberry32;

const pick = <T>(rng: Rng, items: readonly T[]): T => {
  const item = items[Math.floor(rng() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
};

function shuffle<T>(rng: Rng, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const STATUSES: readonly NodeStatus[] = ['Online', 'Online', 'Online', 'Offline', 'Registering'];
const MODELS = ['A100', 'H100', 'T4'];

function randomNode(rng: Rng, i: number): NodeView {
  const gpuCount = Math.floor(rng() * 9);
  return mockNode({
    id: `node-${String(i).padStart(2, '0')}`,
    status: pick(rng, STATUSES),
    schedulable: rng() > 0.15,
    labels: { zone: pick(rng, ['a', 'b']) },
    gpus: Array.from({ length: gpuCount }, (_, g) =>
      mockGpu(g, { model: pick(rng, MODELS), memoryTotalMiB: pick(rng, [16384, 40960, 81920]) }),
    ),
    ...(rng() < 0.7
      ? { capacity: { cpuMillis: pick(rng, [4000, 16000]), memoryMiB: pick(rng, [8192, 65536]) } }
      : {}),
  });
}

function randomUsage(rng: Rng, nodes: readonly NodeView[]): UsageView[] {
  return nodes.flatMap((node) =>
    rng() < 0.5
      ? [
          {
            nodeId: node.id,
            claimId: pick(rng, ['c1', 'x', 'y']),
            cpuMillis: pick(rng, [0, 2000, 8000]),
            memoryMiB: pick(rng, [0, 4096, 32768]),
          },
        ]
      : [],
  );
}

/** Oracle: whether the claim's CPU and memory fit beside the other claims on the node. */
function hasRoom(node: NodeView, req: PlacementRequest, usage: readonly UsageView[]): boolean {
  if (node.capacity === undefined) return true;
  const others = usage.filter((u) => u.nodeId === node.id && u.claimId !== req.claimId);
  const sum = (f: (u: UsageView) => number): number => others.reduce((s, u) => s + f(u), 0);
  return (
    (req.cpuMillis ?? 0) <= Math.max(0, node.capacity.cpuMillis - sum((u) => u.cpuMillis)) &&
    (req.memoryMiB ?? 0) <= Math.max(0, node.capacity.memoryMiB - sum((u) => u.memoryMiB))
  );
}

function randomReservations(rng: Rng, nodes: readonly NodeView[]): ReservationView[] {
  return nodes.flatMap((node) =>
    node.gpus
      .filter(() => rng() < 0.4)
      .map((g) => ({ nodeId: node.id, gpuIndex: g.index, claimId: pick(rng, ['c1', 'x', 'y']) })),
  );
}

function randomRequest(rng: Rng): PlacementRequest {
  return {
    claimId: 'c1',
    gpuCount: 1 + Math.floor(rng() * 5),
    ...(rng() < 0.3 ? { gpuModel: pick(rng, MODELS) } : {}),
    ...(rng() < 0.3 ? { minGpuMemoryMiB: pick(rng, [20000, 40960]) } : {}),
    ...(rng() < 0.3 ? { nodeSelector: { zone: pick(rng, ['a', 'b']) } } : {}),
    ...(rng() < 0.4 ? { cpuMillis: pick(rng, [1000, 8000]) } : {}),
    ...(rng() < 0.4 ? { memoryMiB: pick(rng, [2048, 16384]) } : {}),
  };
}

/** Oracle: the GPUs this claim may take on a node, computed the slow obvious way. */
function usableGpus(
  node: NodeView,
  req: PlacementRequest,
  rs: readonly ReservationView[],
): number[] {
  const ok = node.status === 'Online' && node.schedulable;
  if (!ok || !matchesNodeSelector(node.labels, req.nodeSelector)) return [];
  return node.gpus
    .filter((g) => isEligibleGpu(g, req))
    .filter(
      (g) =>
        !rs.some(
          (r) => r.nodeId === node.id && r.gpuIndex === g.index && r.claimId !== req.claimId,
        ),
    )
    .map((g) => g.index);
}

/** Oracle for the policies, valid when the claim holds no GPUs yet (those take precedence). */
function expectedNodeId(
  fits: readonly NodeView[],
  rs: readonly ReservationView[],
  policy: SchedulingPolicy,
): string | undefined {
  const byId = [...fits].sort((a, b) => (a.id < b.id ? -1 : 1));
  if (policy === 'first-fit') return byId[0]?.id;
  const left = (n: NodeView): number =>
    n.gpus.filter((g) => !rs.some((r) => r.nodeId === n.id && r.gpuIndex === g.index)).length;
  return byId.reduce<NodeView | undefined>(
    (best, n) => (best && left(best) <= left(n) ? best : n),
    undefined,
  )?.id;
}

function checkSeed(seed: number): void {
  const rng = createRng(seed);
  const nodes = Array.from({ length: Math.floor(rng() * 12) }, (_, i) => randomNode(rng, i));
  const reservations = randomReservations(rng, nodes);
  const req = randomRequest(rng);
  const policy = pick(rng, ['first-fit', 'best-fit'] as const);
  const usage = randomUsage(rng, nodes);
  const result = schedule(req, nodes, reservations, policy, usage);

  // 1. Deterministic, and independent of input order.
  assert.deepEqual(schedule(req, nodes, reservations, policy, usage), result);
  assert.deepEqual(
    schedule(req, shuffle(rng, nodes), shuffle(rng, reservations), policy, shuffle(rng, usage)),
    result,
  );

  const fits = nodes.filter(
    (n) => usableGpus(n, req, reservations).length >= req.gpuCount && hasRoom(n, req, usage),
  );
  if (!result.placed) {
    // 2. Nothing placed means no node could take it.
    assert.deepEqual(fits, []);
    return;
  }
  // 3. The GPUs are distinct, usable by this claim, and never reserved by another claim.
  const node = nodes.find((n) => n.id === result.nodeId);
  assert.ok(node);
  const usable = usableGpus(node, req, reservations);
  assert.ok(hasRoom(node, req, usage), 'the claim fits the CPU and memory left on its node');
  assert.equal(new Set(result.gpuIndices).size, req.gpuCount);
  for (const i of result.gpuIndices) assert.ok(usable.includes(i), `GPU ${i} is not usable`);
  // 4. The policy picks the node: first by id, or fewest free GPUs left (then id).
  if (!reservations.some((r) => r.claimId === req.claimId)) {
    assert.equal(result.nodeId, expectedNodeId(fits, reservations, policy));
  }
  assert.deepEqual(
    result.gpuIndices,
    [...result.gpuIndices].sort((a, b) => a - b),
  );
}

describe('schedule: properties over seeded random clusters', () => {
  it('hold for 300 seeds (a failure names its seed)', () => {
    for (let seed = 1; seed <= 300; seed++) {
      try {
        checkSeed(seed);
      } catch (error) {
        throw new Error(`seed ${seed}: ${String(error)}`, { cause: error });
      }
    }
  });
});
