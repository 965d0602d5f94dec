// npm run chaos -- --minutes N --seed S [--agents 4] [--report FILE] [--keep]
//
// Starts a real cluster in a temp dir (cluster.ts), runs a stream of claim creates and deletes
// (workload.ts) while faults are injected (faults.ts), checks the invariants every 2 s
// (invariants.ts), then waits for convergence and prints the figures. Exits 1 on any violation or
// if the cluster does not converge within CONVERGE_LIMIT_MS; 2 on bad arguments.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '../src/testing/random.js';
import { TEST_IMAGE } from '../src/testing/cluster.js';
import { parseArgs, type ChaosArgs } from './args.js';
import { startChaosCluster, type ChaosCluster } from './cluster.js';
import { createFaultInjector, type FaultInjector } from './faults.js';
import { convergence, createInvariantChecker, type Violation } from './invariants.js';
import { createObserver, dockerCall, readContainers, type Snapshot } from './observe.js';
import { buildReport, printReport, printViolation } from './report.js';
import { createWorkload, type Workload } from './workload.js';

const CHECK_EVERY_MS = 2_000;
/** CONVERGE_LIMIT_MS is used as the stated bound: after the last fault, all settles within it. */
export const CONVERGE_LIMIT_MS = 90_000;
const TOLERANCE_MS = 20_000;

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const print = (line: string): void => console.log(line);

interface CheckLoop {
  violations: Violation[];
  checks: number;
  unreadable: number;
  last: Snapshot | undefined;
  stop(): Promise<void>;
}

function startChecks(
  cluster: ChaosCluster,
  faults: FaultInjector,
  workload: Workload,
  args: ChaosArgs,
  onViolation: () => void,
): CheckLoop {
  const observer = createObserver(cluster.db, cluster.docker.socket, cluster.runLabel);
  const checker = createInvariantChecker({ toleranceMs: TOLERANCE_MS });
  let running = true;
  const printed = new Set<string>();
  const state: CheckLoop = {
    violations: [],
    checks: 0,
    unreadable: 0,
    last: undefined,
    async stop() {
      running = false;
      await loop;
    },
  };
  const loop = (async () => {
    while (running) {
      const snap = await observer.read().catch(() => undefined);
      if (!snap)
        state.unreadable++; // MariaDB or Docker down: nothing to compare this time
      else {
        state.checks++;
        state.last = snap;
        const found = checker.check(snap, {
          acked: workload.acked,
          deleted: workload.deleted,
          quietSince: faults.quietSince,
        });
        for (const v of found) {
          state.violations.push(v);
          // Each distinct violation is printed once; later checks only count it again.
          if (!printed.has(v.message)) printViolation(v, args.seed, faults.log, snap);
          printed.add(v.message);
        }
        if (found.length > 0) onViolation();
      }
      await new Promise((r) => setTimeout(r, CHECK_EVERY_MS));
    }
  })();
  return state;
}

async function awaitConvergence(
  cluster: ChaosCluster,
  deleteAccepted: ReadonlySet<string>,
  since: number,
) {
  const observer = createObserver(cluster.db, cluster.docker.socket, cluster.runLabel);
  const settledAt = new Map<string, number>();
  let lastUnsettled: string[] = [];
  while (Date.now() - since < CONVERGE_LIMIT_MS) {
    const snap = await observer.read().catch(() => undefined);
    if (snap) {
      const state = convergence(snap, deleteAccepted);
      for (const id of state.settled) if (!settledAt.has(id)) settledAt.set(id, snap.at - since);
      // A claim that fell back out of its settled state counts from its last settling.
      for (const id of settledAt.keys()) if (!state.settled.has(id)) settledAt.delete(id);
      lastUnsettled = state.unsettled;
      if (state.converged)
        return { convergedMs: snap.at - since, perClaimMs: [...settledAt.values()], unsettled: [] };
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  return { convergedMs: undefined, perClaimMs: [...settledAt.values()], unsettled: lastUnsettled };
}

async function removeRunContainers(cluster: ChaosCluster): Promise<void> {
  const list = await readContainers(cluster.docker.socket, cluster.runLabel).catch(() => []);
  for (const c of list)
    await dockerCall(cluster.docker.socket, 'DELETE', `/containers/${c.id}?force=1`).catch(
      () => '',
    );
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'utopia-chaos-'));
  print(
    `chaos: seed ${args.seed}, ${args.minutes} min of faults, ${args.agents} agents; work dir ${dir}`,
  );
  let cluster: ChaosCluster | undefined;
  let ok = false;
  const exits: string[] = [];
  const onExit = (name: string, code: number | null, signal: string | null): void => {
    exits.push(name);
    print(
      `[${new Date().toISOString()}] ${name} exited by itself (code ${code}, signal ${signal}); restarting it in 1 s`,
    );
  };
  try {
    const started = Date.now();
    cluster = await startChaosCluster(root, dir, args.agents, onExit);
    print(
      `chaos: cluster up in ${((Date.now() - started) / 1000).toFixed(1)} s (2 replicas, frps, ${args.agents} agents, MariaDB)`,
    );
    const rand = mulberry32(args.seed);
    const t0 = Date.now();
    const deadline = t0 + args.minutes * 60_000;
    // About three quarters of the GPUs asked for: some claims wait Pending when nodes are lost.
    const workload = createWorkload(
      cluster.api,
      rand,
      TEST_IMAGE,
      Math.round(args.agents * cluster.gpusPerNode * 0.5),
    );
    const faults = createFaultInjector(cluster, mulberry32(args.seed ^ 0x5eed), t0, print, {
      minGapMs: 2_000,
      maxGapMs: 6_000,
      maxConcurrent: 2,
      burst: (n) => workload.burst(n),
    });
    const stopEarly = (): void => {
      faults.stop();
      workload.stop();
    };
    // A violation, or Ctrl-C, ends the faults and the load at once; teardown runs as usual.
    process.once('SIGINT', stopEarly);
    process.once('SIGTERM', stopEarly);
    const checks = startChecks(cluster, faults, workload, args, stopEarly);
    await Promise.all([faults.run(deadline), workload.run(deadline)]);
    const quietSince = Math.max(faults.lastEndedAt(), Date.now());
    print(
      `chaos: faults and workload stopped at +${((quietSince - t0) / 1000).toFixed(1)} s; waiting for convergence`,
    );
    const conv = await awaitConvergence(cluster, workload.deleteAccepted, quietSince);
    // One more round of checks after convergence, past the tolerance, with nothing active.
    await checks.stop();
    const report = buildReport({
      args,
      faults: faults.log,
      notDrawn: faults.notDrawn,
      workload: workload.counts(),
      refusedByStatus: workload.refusedByStatus,
      exits,
      checks,
      conv,
      convergeLimitMs: CONVERGE_LIMIT_MS,
    });
    printReport(report);
    if (args.report) writeFileSync(args.report, `${JSON.stringify(report, null, 2)}\n`);
    // A run whose views were mostly unreadable checked nothing: that fails too.
    const checkedEnough = report.checks > report.checksSkipped;
    ok = report.violations === 0 && report.converged && report.claimsLost === 0 && checkedEnough;
    if (!checkedEnough) print('chaos: most invariant checks could not read both views');
  } catch (e) {
    print(`chaos: run failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  } finally {
    if (cluster) {
      await removeRunContainers(cluster);
      await cluster.close().catch((e: unknown) => print(`chaos: close: ${String(e)}`));
      await cluster.docker.own?.stop();
    }
    if (ok && !args.keep) rmSync(dir, { recursive: true, force: true });
    else print(`chaos: logs kept in ${dir}`);
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`chaos: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
