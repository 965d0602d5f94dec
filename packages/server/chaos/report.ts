// What a chaos run prints: a violation with the seed, the fault log around it and both views; and
// the final figures that docs/reliability.md reports.
import type { ChaosArgs } from './args.js';
import type { FaultRecord } from './faults.js';
import type { Violation } from './invariants.js';
import type { Snapshot } from './observe.js';

const AROUND_MS = 30_000;

/** printViolation is used the moment a check fails: seed, nearby faults, the DB and Docker views. */
export function printViolation(
  v: Violation,
  seed: number,
  faults: readonly FaultRecord[],
  s: Snapshot,
): void {
  const near = faults.filter(
    (f) =>
      Math.abs(f.startedAt - v.at) < AROUND_MS ||
      f.endedAt === undefined ||
      Math.abs(f.endedAt - v.at) < AROUND_MS,
  );
  const ids = [...v.message.matchAll(/[0-9a-f-]{12,}/g)].map((m) => m[0]);
  const related = (text: string) =>
    ids.length === 0 || ids.some((id) => text.includes(id) || id.includes(text));
  const lines = [
    `\nINVARIANT VIOLATED: ${v.kind}: ${v.message}`,
    `  seed ${seed}; replay with: npm run chaos -- --seed ${seed}`,
    '  faults within 30 s:',
    ...near.map(
      (f) =>
        `    #${f.n} ${f.kind} ${f.target} ${f.detail} at ${new Date(f.startedAt).toISOString()}${f.endedAt ? `, ended ${new Date(f.endedAt).toISOString()}` : ' (still active)'}`,
    ),
    '  database (claims):',
    ...[...s.claims.values()]
      .filter((c) => related(c.id) || (c.nodeId !== null && related(c.nodeId)))
      .map(
        (c) =>
          `    ${c.id} ${c.phase} node=${c.nodeId} gpus=${c.gpuIds.join(',')} container=${c.containerId?.slice(0, 12)} reason=${c.reason}`,
      ),
    '  database (nodes):',
    ...[...s.nodes].map(([id, n]) => `    ${id} ${n.hostname} ${n.status}`),
    '  docker (containers):',
    ...s.containers
      .filter((c) => related(c.claimId) || related(c.nodeId) || related(c.id))
      .map(
        (c) =>
          `    ${c.id.slice(0, 12)} claim=${c.claimId} node=${c.nodeId} gpus=${c.gpuIds.join(',')} ${c.running ? 'running' : 'exited'}`,
      ),
  ];
  console.log(lines.join('\n'));
}

/** ChaosReport is used for a run's figures (printed, and written as JSON with --report). */
export interface ChaosReport {
  seed: number;
  minutes: number;
  agents: number;
  claimsCreated: number;
  createsRefused: number;
  /** Refused or unanswered creates by HTTP status (0: no answer within 10 s). */
  refusedByStatus: Record<string, number>;
  /** Processes that exited by themselves (restarted by the runner, as a supervisor would). */
  exitsByProcess: Record<string, number>;
  claimsDeleted: number;
  faultsByKind: Record<string, number>;
  faultsTotal: number;
  /** Kinds left out of this run, and why (dockerd-kill when Docker is not the runner's own). */
  faultsNotDrawn: Record<string, string>;
  checks: number;
  checksSkipped: number;
  violations: number;
  violationKinds: Record<string, number>;
  claimsLost: number;
  converged: boolean;
  convergenceLimitS: number;
  convergedAfterS: number | null;
  convergenceP50S: number | null;
  convergenceMaxS: number | null;
  unsettled: string[];
}

const quantile = (sorted: readonly number[], q: number): number | null =>
  sorted.length === 0
    ? null
    : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? null);
const seconds = (ms: number | null | undefined): number | null =>
  ms === null || ms === undefined ? null : Math.round(ms / 100) / 10;

/** buildReport is used at the end of a run to gather its figures. */
export function buildReport(input: {
  args: ChaosArgs;
  faults: readonly FaultRecord[];
  notDrawn: ReadonlyMap<string, string>;
  workload: { created: number; createsRefused: number; deletesAccepted: number };
  checks: { checks: number; unreadable: number; violations: readonly Violation[] };
  refusedByStatus: ReadonlyMap<number, number>;
  exits: readonly string[];
  conv: { convergedMs: number | undefined; perClaimMs: number[]; unsettled: string[] };
  convergeLimitMs: number;
}): ChaosReport {
  const exitsByProcess: Record<string, number> = {};
  for (const e of input.exits) exitsByProcess[e] = (exitsByProcess[e] ?? 0) + 1;
  const byKind: Record<string, number> = {};
  for (const f of input.faults) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  const violationKinds: Record<string, number> = {};
  // A state that stays broken is reported by every check: count each distinct violation once.
  const distinct = [...new Map(input.checks.violations.map((v) => [v.message, v])).values()];
  for (const v of distinct) violationKinds[v.kind] = (violationKinds[v.kind] ?? 0) + 1;
  const sorted = [...input.conv.perClaimMs].sort((a, b) => a - b);
  return {
    seed: input.args.seed,
    minutes: input.args.minutes,
    agents: input.args.agents,
    claimsCreated: input.workload.created,
    createsRefused: input.workload.createsRefused,
    refusedByStatus: Object.fromEntries(input.refusedByStatus),
    exitsByProcess,
    claimsDeleted: input.workload.deletesAccepted,
    faultsByKind: byKind,
    faultsTotal: input.faults.length,
    faultsNotDrawn: Object.fromEntries(input.notDrawn),
    checks: input.checks.checks,
    checksSkipped: input.checks.unreadable,
    violations: distinct.length,
    violationKinds,
    claimsLost: distinct.filter((v) => v.kind === 'claim-lost').length,
    converged: input.conv.convergedMs !== undefined,
    convergenceLimitS: input.convergeLimitMs / 1000,
    convergedAfterS: seconds(input.conv.convergedMs),
    convergenceP50S: seconds(quantile(sorted, 0.5)),
    convergenceMaxS: seconds(sorted.at(-1)),
    unsettled: input.conv.unsettled,
  };
}

/** printReport is used to print the figures as a short table. */
export function printReport(r: ChaosReport): void {
  const faults = Object.entries(r.faultsByKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  console.log(
    [
      '\n== chaos report',
      `seed ${r.seed}, ${r.minutes} min, ${r.agents} agents`,
      `claims created (201) ${r.claimsCreated}, creates refused ${r.createsRefused} ${JSON.stringify(r.refusedByStatus)}, deleted ${r.claimsDeleted}`,
      `processes that exited by themselves: ${JSON.stringify(r.exitsByProcess)}`,
      `faults ${r.faultsTotal}: ${faults}`,
      ...Object.entries(r.faultsNotDrawn).map(([k, why]) => `not drawn: ${k} (${why})`),
      `invariant checks ${r.checks} (${r.checksSkipped} skipped while a view was unreadable), violations ${r.violations}${r.violations ? ` ${JSON.stringify(r.violationKinds)}` : ''}`,
      `claims lost ${r.claimsLost}`,
      r.converged
        ? `converged ${r.convergedAfterS} s after the last fault (limit ${r.convergenceLimitS} s); per claim p50 ${r.convergenceP50S} s, max ${r.convergenceMaxS} s`
        : `NOT converged within ${r.convergenceLimitS} s: ${r.unsettled.slice(0, 10).join('; ')}`,
    ].join('\n'),
  );
}
