// Scheduler benchmarks: time per placement as the cluster grows, and how well each policy packs.
//
// 1. Placement time: N nodes × 8 GPUs with half of all GPUs reserved (seeded), one 2-GPU request,
//    for first-fit and best-fit. The two policies run interleaved (ff, bf, ff, bf, …) after a
//    warm-up, so drift on a busy machine hits both alike; the ratio compares them within one run.
// 2. Packing: claims of 1–4 GPUs (seeded) placed into 100 nodes × 8 GPUs, like the controller does
//    it (each placement becomes reservations before the next claim is scheduled).
import {
  schedule,
  type NodeView,
  type ReservationView,
  type SchedulingPolicy,
} from '../src/scheduler/index.js';
import { mockNode, reserve } from '../src/scheduler/mock.js';
import { fmt, msSince, mulberry32, nowNs, printTable, randInt, stats } from './lib.js';

const GPUS_PER_NODE = 8;
const POLICIES: readonly SchedulingPolicy[] = ['first-fit', 'best-fit'];

/** cluster is used to build N identical nodes with ids that sort in creation order. */
function cluster(n: number): NodeView[] {
  return Array.from({ length: n }, (_, i) =>
    mockNode({ id: `node-${String(i).padStart(5, '0')}`, gpuCount: GPUS_PER_NODE }),
  );
}

/** halfReserved is used to reserve exactly half of all GPUs, chosen by a seeded shuffle. */
function halfReserved(nodes: readonly NodeView[], seed: number): ReservationView[] {
  const rand = mulberry32(seed);
  const slots = nodes.flatMap((n) => n.gpus.map((g) => ({ nodeId: n.id, gpuIndex: g.index })));
  for (let i = slots.length - 1; i > 0; i--) {
    const j = randInt(rand, 0, i);
    const a = slots[i];
    const b = slots[j];
    if (a === undefined || b === undefined) throw new Error('shuffle out of range');
    slots[i] = b;
    slots[j] = a;
  }
  return slots
    .slice(0, slots.length / 2)
    .map((s, k) => ({ ...s, claimId: `held-${Math.floor(k / 2)}` }));
}

// ---------------------------------------------------------------------------------------------
// 1. Placement time

const SIZES = [10, 100, 1_000, 5_000];
const WARMUP_MS = 150;
const BUDGET_MS = Number(process.env.UTOPIA_BENCH_SCHED_MS ?? 1_200); // per cluster size
const MIN_ITERS = 30;
const MAX_ITERS = 5_000;

let sink = 0; // keeps the results alive so nothing is optimised away

function timeOnce(
  nodes: readonly NodeView[],
  res: readonly ReservationView[],
  p: SchedulingPolicy,
) {
  const start = nowNs();
  const r = schedule({ claimId: 'bench', gpuCount: 2 }, nodes, res, p);
  const ms = msSince(start);
  if (!r.placed) throw new Error(`nothing placed on ${nodes.length} nodes (${r.reason})`);
  sink += r.gpuIndices.length;
  return ms;
}

const placementRows: string[][] = [];
for (const n of SIZES) {
  const nodes = cluster(n);
  const res = halfReserved(nodes, 42 + n);
  const samples: Record<SchedulingPolicy, number[]> = { 'first-fit': [], 'best-fit': [] };
  const warmEnd = Date.now() + WARMUP_MS;
  let warm = 0;
  while (Date.now() < warmEnd || warm < 5) {
    for (const p of POLICIES) timeOnce(nodes, res, p);
    warm++;
  }
  const end = Date.now() + BUDGET_MS;
  let iters = 0;
  while ((Date.now() < end || iters < MIN_ITERS) && iters < MAX_ITERS) {
    // Alternate which policy goes first so neither always follows the other's garbage.
    const order = iters % 2 === 0 ? POLICIES : [...POLICIES].reverse();
    for (const p of order) samples[p].push(timeOnce(nodes, res, p));
    iters++;
  }
  const ff = stats(samples['first-fit']);
  const bf = stats(samples['best-fit']);
  for (const [p, s] of [
    ['first-fit', ff],
    ['best-fit', bf],
  ] as const) {
    placementRows.push([
      String(n),
      String(n * GPUS_PER_NODE),
      String(res.length),
      p,
      String(s.n),
      fmt(s.median * 1000, 1),
      fmt(s.p95 * 1000, 1),
      p === 'best-fit' ? `${fmt(bf.median / ff.median)}×` : '',
    ]);
  }
}
printTable(
  'Scheduler: time per placement (2-GPU request, 8 GPUs per node, 50% of GPUs reserved)',
  ['nodes', 'GPUs', 'reserved', 'policy', 'iters', 'median µs', 'p95 µs', 'bf/ff (median)'],
  placementRows,
);

// ---------------------------------------------------------------------------------------------
// 2. Packing and fragmentation
//
// The claim stream (sizes 1–4, uniform) comes from the same seed for both policies.
//   fill:  place claims until the first one does not fit → GPUs placed at the first refusal.
//   churn: then 500 times: delete a random live claim, place new claims until one is refused
//          (it is dropped). This is where placement choices start to matter; the GPUs still free
//          at each refusal are capacity that the arriving claim could not use.
//   free:  finally delete a random quarter of the live claims, and count how many 4-GPU claims
//          fit in what is free (a 4-GPU claim needs 4 free GPUs on one node), against the ideal
//          floor(free GPUs / 4). At any refusal point a 4-GPU claim never fits, which is why the
//          fragmentation is measured after a release.

const PACK_NODES = 100;
const SEEDS = [1, 2, 3, 4, 5, 6];
const CHURN_STEPS = 500;

interface PackResult {
  fillGpus: number;
  fillClaims: number;
  churnUtil: number; // mean share of GPUs in use at each refusal during churn
  stranded: number; // mean free GPUs at each refusal during churn (capacity nobody could use)
  freeGpus: number;
  fours: number;
  idealFours: number;
  ms: number;
}

function pack(policy: SchedulingPolicy, seed: number): PackResult {
  const start = nowNs();
  const nodes = cluster(PACK_NODES);
  const total = PACK_NODES * GPUS_PER_NODE;
  const sizes = mulberry32(seed); // claim sizes: identical sequence for both policies
  const picks = mulberry32(seed ^ 0x9e3779b9); // which claims to delete
  const live = new Map<string, ReservationView[]>();
  let reservations: ReservationView[] = [];
  let next = 0;
  const used = () => reservations.length;

  /** tryPlace is used to place the next claim of the stream; false when it was refused. */
  const tryPlace = (): boolean => {
    const claimId = `c${next++}`;
    const r = schedule({ claimId, gpuCount: randInt(sizes, 1, 4) }, nodes, reservations, policy);
    if (!r.placed) return false;
    const rows = reserve(claimId, r.nodeId, r.gpuIndices);
    live.set(claimId, rows);
    reservations = reservations.concat(rows);
    return true;
  };
  const remove = (claimId: string) => {
    live.delete(claimId);
    reservations = reservations.filter((x) => x.claimId !== claimId);
  };
  const randomLive = (): string => {
    const ids = [...live.keys()];
    return ids[randInt(picks, 0, ids.length - 1)] ?? '';
  };

  while (tryPlace());
  const fillGpus = used();
  const fillClaims = live.size;

  let utilSum = 0;
  for (let step = 0; step < CHURN_STEPS; step++) {
    remove(randomLive());
    while (tryPlace());
    utilSum += used() / total;
  }

  const release = Math.floor(live.size / 4);
  for (let i = 0; i < release; i++) remove(randomLive());
  const freeByNode = new Map(nodes.map((n) => [n.id, n.gpus.length]));
  for (const r of reservations) freeByNode.set(r.nodeId, (freeByNode.get(r.nodeId) ?? 0) - 1);
  let fours = 0;
  for (const f of freeByNode.values()) fours += Math.floor(f / 4);
  const freeGpus = total - used();
  return {
    fillGpus,
    fillClaims,
    churnUtil: utilSum / CHURN_STEPS,
    stranded: total - (utilSum / CHURN_STEPS) * total,
    freeGpus,
    fours,
    idealFours: Math.floor(freeGpus / 4),
    ms: msSince(start),
  };
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const packRows: string[][] = [];
const packed: Record<SchedulingPolicy, PackResult[]> = { 'first-fit': [], 'best-fit': [] };
for (const seed of SEEDS) for (const p of POLICIES) packed[p].push(pack(p, seed));
for (const p of POLICIES) {
  const rs = packed[p];
  const pick = (f: (r: PackResult) => number) => mean(rs.map(f));
  packRows.push([
    p,
    `${fmt(
      pick((r) => r.fillGpus),
      1,
    )} / ${PACK_NODES * GPUS_PER_NODE}`,
    fmt(
      pick((r) => r.fillClaims),
      1,
    ),
    `${fmt(pick((r) => r.churnUtil) * 100, 1)}%`,
    fmt(
      pick((r) => r.stranded),
      1,
    ),
    fmt(
      pick((r) => r.freeGpus),
      1,
    ),
    fmt(
      pick((r) => r.fours),
      1,
    ),
    fmt(
      pick((r) => r.idealFours),
      1,
    ),
    `${fmt((pick((r) => r.fours) / pick((r) => r.idealFours)) * 100, 0)}%`,
  ]);
}
const bfFours = mean(packed['best-fit'].map((r) => r.fours));
const ffFours = mean(packed['first-fit'].map((r) => r.fours));
const bfStranded = mean(packed['best-fit'].map((r) => r.stranded));
const ffStranded = mean(packed['first-fit'].map((r) => r.stranded));
const wins = SEEDS.filter((_, i) => {
  const b = packed['best-fit'][i]?.fours ?? 0;
  const f = packed['first-fit'][i]?.fours ?? 0;
  return b > f;
}).length;
printTable(
  `Scheduler: packing ${PACK_NODES} nodes × ${GPUS_PER_NODE} GPUs with 1–4-GPU claims (mean of ${SEEDS.length} seeds, ${CHURN_STEPS} churn steps)`,
  [
    'policy',
    'GPUs placed at 1st refusal',
    'claims',
    'in use under churn',
    'free at refusal',
    'free after release',
    '4-GPU claims fit',
    'ideal',
    'of ideal',
  ],
  packRows,
);
console.log(
  `\nbest-fit/first-fit GPUs left free when a claim is refused under churn: ` +
    `${fmt(bfStranded / ffStranded)}× (lower is tighter packing)`,
);
console.log(
  `best-fit/first-fit 4-GPU claims that fit after release: ${fmt(bfFours / ffFours)}× ` +
    `(best-fit ahead in ${wins}/${SEEDS.length} seeds); ` +
    `packing took ${fmt(mean([...packed['first-fit'], ...packed['best-fit']].map((r) => r.ms)), 0)} ms per run`,
);
if (sink < 0) console.log(sink);
