// The chaos runner's invariant checker on hand-made snapshots: each invariant fires on the state
// that breaks it, stays quiet on a healthy one, and tolerates transients only after faults end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { convergence, createInvariantChecker, type RunnerKnowledge } from './invariants.js';
import type { ClaimView, ContainerView, PhaseChange, Snapshot } from './observe.js';

const claim = (id: string, over: Partial<ClaimView> = {}): ClaimView => ({
  id,
  phase: 'Running',
  nodeId: 'n1',
  gpuIds: [0],
  containerId: `c-${id}`,
  reason: 'Started',
  deleting: false,
  ...over,
});
const container = (claimId: string, over: Partial<ContainerView> = {}): ContainerView => ({
  id: `c-${claimId}-000000000000`,
  claimId,
  nodeId: 'n1',
  host: 'node-1',
  gpuIds: [0],
  running: true,
  ...over,
});
const snap = (
  at: number,
  claims: ClaimView[],
  containers: ContainerView[],
  changes: PhaseChange[] = [],
): Snapshot => ({
  at,
  readFrom: at,
  claims: new Map(claims.map((c) => [c.id, c])),
  nodes: new Map([['n1', { hostname: 'node-1', status: 'Online' }]]),
  containers,
  changes,
});
const calm = (over: Partial<RunnerKnowledge> = {}): RunnerKnowledge => ({
  acked: new Map(),
  deleted: new Set(),
  quietSince: () => 0,
  ...over,
});
const kinds = (v: { kind: string }[]) => v.map((x) => x.kind).sort();

test('a healthy cluster breaks nothing', () => {
  const check = createInvariantChecker({ toleranceMs: 1_000 }).check;
  const s = snap(
    10_000,
    [claim('a'), claim('b', { gpuIds: [1] })],
    [container('a'), container('b', { gpuIds: [1] })],
  );
  assert.deepEqual(
    check(
      s,
      calm({
        acked: new Map([
          ['a', 0],
          ['b', 0],
        ]),
      }),
    ),
    [],
  );
});

test('two live containers on one GPU are reported at once, even during a fault', () => {
  const check = createInvariantChecker({ toleranceMs: 60_000 }).check;
  const s = snap(1, [claim('a'), claim('b', { nodeId: 'n2' })], [container('a'), container('b')]);
  assert.deepEqual(kinds(check(s, calm({ quietSince: () => Infinity }))), [
    'gpu-double-booked-docker',
  ]);
});

test('two claims bound to one GPU in the database are reported', () => {
  const check = createInvariantChecker({ toleranceMs: 1_000 }).check;
  const s = snap(1, [claim('a'), claim('b', { phase: 'Scheduled' })], [container('a')]);
  assert.deepEqual(kinds(check(s, calm())), ['gpu-double-booked-db']);
});

test('a Running claim without its container is tolerated only for the tolerance after the last fault', () => {
  const check = createInvariantChecker({ toleranceMs: 5_000 }).check;
  const gone = (at: number) => snap(at, [claim('a')], [container('a', { running: false })]);
  assert.deepEqual(check(gone(1_000), calm({ quietSince: () => Infinity })), []);
  assert.deepEqual(
    check(gone(7_000), calm({ quietSince: (host) => (host === 'node-1' ? 4_000 : 0) })),
    [],
  );
  assert.deepEqual(
    kinds(check(gone(9_500), calm({ quietSince: (host) => (host === 'node-1' ? 4_000 : 0) }))),
    ['running-without-container'],
  );
});

test('an acknowledged claim that disappears without a delete is lost; a deleted one is not', () => {
  const check = createInvariantChecker({ toleranceMs: 1_000 }).check;
  const s = snap(10, [], []);
  const acked = new Map([
    ['a', 5],
    ['b', 5],
    ['late', 10],
  ]);
  // 'late' was acknowledged while this snapshot was being read: it need not be in it yet.
  assert.deepEqual(kinds(check(s, calm({ acked, deleted: new Set(['b']) }))), ['claim-lost']);
});

test('an orphan container (claim moved or gone) is reported once it outlives the tolerance', () => {
  const check = createInvariantChecker({ toleranceMs: 2_000 }).check;
  const s = (at: number) =>
    snap(
      at,
      [claim('a', { phase: 'Pending', nodeId: null, gpuIds: [] })],
      [container('a'), container('x', { gpuIds: [3] })],
    );
  assert.deepEqual(check(s(1_000), calm()), []);
  assert.deepEqual(kinds(check(s(3_500), calm())), ['orphan-container', 'orphan-container']);
});

test('phase changes are checked against the allowed transitions, in version order', () => {
  const check = createInvariantChecker({ toleranceMs: 1_000 }).check;
  const ch = (
    rv: number,
    claimId: string,
    version: number,
    type: string,
    phase?: string,
  ): PhaseChange => ({
    rv,
    claimId,
    version,
    type,
    phase,
    leaseGeneration: null,
  });
  const ok = [
    ch(1, 'a', 1, 'ADDED', 'Pending'),
    ch(2, 'a', 2, 'MODIFIED', 'Scheduled'),
    ch(3, 'a', 3, 'MODIFIED', 'Running'),
    ch(4, 'a', 4, 'MODIFIED', 'Scheduled'),
    ch(5, 'a', 5, 'MODIFIED', 'Running'),
    ch(6, 'a', 6, 'MODIFIED', 'Terminating'),
    ch(7, 'a', 6, 'DELETED'),
  ];
  assert.deepEqual(check(snap(1, [], [], ok), calm()), []);
  // A row that commits after a later one (auto-increment rvs) is waited for, not skipped.
  assert.deepEqual(
    check(
      snap(2, [], [], [ch(10, 'b', 1, 'ADDED', 'Pending'), ch(12, 'b', 3, 'MODIFIED', 'Running')]),
      calm(),
    ),
    [],
  );
  assert.deepEqual(check(snap(3, [], [], [ch(11, 'b', 2, 'MODIFIED', 'Scheduled')]), calm()), []);
  const bad = [
    ch(20, 'c', 1, 'ADDED', 'Pending'),
    ch(21, 'c', 2, 'MODIFIED', 'Running'),
    ch(22, 'c', 2, 'DELETED'),
  ];
  assert.deepEqual(kinds(check(snap(4, [], [], bad), calm())), [
    'bad-transition',
    'bad-transition',
  ]);
});

test('a write by an older controller term after a newer one took over is a violation', () => {
  const check = createInvariantChecker({ toleranceMs: 1_000 }).check;
  const ch = (rv: number, claimId: string, version: number, gen: number | null): PhaseChange => ({
    rv,
    claimId,
    version,
    type: version === 1 ? 'ADDED' : 'MODIFIED',
    phase: version === 1 ? 'Pending' : version === 2 ? 'Scheduled' : 'Running',
    leaseGeneration: gen,
  });
  // Term 1 writes, term 2 takes over and writes; the API's rows (null) belong to no term.
  const handover = [
    ch(1, 'a', 1, null),
    ch(2, 'a', 2, 1),
    ch(3, 'b', 1, null),
    ch(4, 'a', 3, 2),
    ch(5, 'b', 2, 2),
  ];
  assert.deepEqual(check(snap(1, [], [], handover), calm()), []);
  // A row of term 1 committed late with a low rv (taken before the takeover) is no violation.
  assert.deepEqual(check(snap(2, [], [], [ch(3.5, 'c', 2, 1)]), calm()), []);
  // Term 1 writes again after term 2's first write: caught, once, whichever order rows come in.
  const stale = check(snap(3, [], [], [ch(6, 'b', 3, 1)]), calm());
  assert.deepEqual(kinds(stale), ['stale-term-write']);
  assert.match(stale[0]?.message ?? '', /rv 6, .*\) by lease generation 1 after generation 2/);
  assert.deepEqual(check(snap(4, [], [], []), calm()), []);
  const late = createInvariantChecker({ toleranceMs: 1_000 }).check;
  assert.deepEqual(late(snap(1, [], [], [ch(9, 'a', 2, 1)]), calm()), []);
  assert.deepEqual(kinds(late(snap(2, [], [], [ch(8, 'b', 2, 2)]), calm())), ['stale-term-write']);
});

test('convergence needs every live claim Running with one container or Pending with a reason', () => {
  const s = snap(
    1,
    [
      claim('a'),
      claim('p', { phase: 'Pending', nodeId: null, gpuIds: [], reason: 'Unschedulable' }),
    ],
    [container('a')],
  );
  assert.equal(convergence(s, new Set()).converged, true);
  const waiting = snap(
    1,
    [claim('a'), claim('d', { phase: 'Terminating', deleting: true })],
    [container('a')],
  );
  const state = convergence(waiting, new Set(['d']));
  assert.equal(state.converged, false);
  assert.deepEqual([...state.settled], ['a']);
  assert.equal(
    convergence(snap(1, [claim('a')], [container('a')]), new Set(['a'])).converged,
    false,
  );
});
