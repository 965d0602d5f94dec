// The controller's scheduler: scheduleIndexed over the cluster model (ClusterModelState, the
// free-GPU index), as the leader places claims. N nodes × 8 GPUs start half reserved (seeded);
// each placement is timed with its bind into the model (hold), as the controller does before the
// next claim, and an earlier bench claim is released afterwards (untimed) so the cluster stays
// half full. Reports placements/s (decision + hold) and the decision's p50/p99 per policy.
//
//   UTOPIA_BENCH_SCHED_MS (1200 per size and policy).
import { ClusterModelState } from '../src/scheduler/cluster-state.js';
import { scheduleIndexed, type SchedulingPolicy } from '../src/scheduler/index.js';
import { mockNode } from '../src/scheduler/mock.js';
import { fmt, msSince, mulberry32, nowNs, printTable, randInt, stats } from './lib.js';

const SIZES = [100, 1_000, 10_000];
const GPUS_PER_NODE = 8;
const BUDGET_MS = Number(process.env.UTOPIA_BENCH_SCHED_MS ?? 1_200);
const POLICIES: readonly SchedulingPolicy[] = ['best-fit', 'first-fit'];

/** halfFull is used to build a model of N nodes with half of all GPUs held (seeded). */
function halfFull(n: number, seed: number): ClusterModelState {
  const model = new ClusterModelState();
  for (let i = 0; i < n; i++)
    model.setNode(
      mockNode({ id: `node-${String(i).padStart(5, '0')}`, gpuCount: GPUS_PER_NODE }),
      1,
    );
  const rand = mulberry32(seed);
  for (const node of model.nodes) {
    const indices = node.gpus.map((g) => g.index);
    for (let k = 0; k < GPUS_PER_NODE / 2; k++) {
      const [gpu] = indices.splice(randInt(rand, 0, indices.length - 1), 1);
      if (gpu === undefined) continue;
      model.hold(`held-${node.id}-${gpu}`, {
        nodeId: node.id,
        gpuIndices: [gpu],
        cpuMillis: 0,
        memoryMiB: 0,
      });
    }
  }
  return model;
}

function run(n: number, policy: SchedulingPolicy): string[] {
  const model = halfFull(n, 12 + n);
  const rand = mulberry32(n);
  const decisions: number[] = [];
  const placed: string[] = [];
  let busyMs = 0;
  let k = 0;
  const end = Date.now() + BUDGET_MS;
  while (Date.now() < end || decisions.length < 50) {
    const claimId = `bench-${k++}`;
    const start = nowNs();
    const r = scheduleIndexed({ claimId, gpuCount: randInt(rand, 1, 2) }, model, policy);
    const decided = msSince(start);
    if (!r.placed) throw new Error(`nothing placed on ${n} nodes (${r.reason})`);
    model.hold(claimId, { nodeId: r.nodeId, gpuIndices: r.gpuIndices, cpuMillis: 0, memoryMiB: 0 });
    busyMs += msSince(start);
    decisions.push(decided);
    placed.push(claimId);
    // Keep the cluster half full: release a random earlier bench claim (not timed).
    if (placed.length > 16) {
      const [old] = placed.splice(randInt(rand, 0, placed.length - 2), 1);
      if (old !== undefined) model.hold(old, undefined);
    }
  }
  const s = stats(decisions);
  return [
    String(n),
    policy,
    String(s.n),
    fmt((s.n * 1000) / busyMs, 0),
    fmt(s.median * 1000, 1),
    fmt(s.p99 * 1000, 1),
    fmt(s.max * 1000, 0),
  ];
}

const rows: string[][] = [];
for (const n of SIZES) for (const p of POLICIES) rows.push(run(n, p));
printTable(
  `Indexed scheduler (cluster model): 1–2-GPU claims, ${GPUS_PER_NODE} GPUs per node, half reserved`,
  ['nodes', 'policy', 'placements', 'placements/s', 'p50 µs', 'p99 µs', 'max µs'],
  rows,
);
