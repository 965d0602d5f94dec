// Faults at random, seeded and logged: kill -9 of a server replica, an agent, frpc, frps, MariaDB,
// the runner's own dockerd or a claim's container; SIGSTOP/SIGCONT of a replica past the lease or
// of an agent past the node grace; and SIGSTOP of the leader at the moment it is busiest (a burst
// of creates just sent, its first bind just committed), the moment the fencing guards. Each fault
// that takes a process away also brings it back after a drawn delay.
import type { ChaosCluster } from './cluster.js';
import { CHAOS_TIMINGS } from './cluster.js';
import { dockerCall, readContainers } from './observe.js';
import type { ManagedProcess } from './processes.js';

/** FaultKind is used to name one kind of fault. */
export type FaultKind =
  | 'server-kill'
  | 'server-stop'
  | 'leader-stop-busy'
  | 'agent-kill'
  | 'agent-stop'
  | 'frpc-kill'
  | 'frps-kill'
  | 'mariadb-kill'
  | 'dockerd-kill'
  | 'container-kill';

/** FAULT_WEIGHTS is used to draw the next fault: every kind the runner injects, and how often. */
export const FAULT_WEIGHTS: readonly (readonly [FaultKind, number])[] = [
  ['server-kill', 2],
  ['server-stop', 2],
  ['leader-stop-busy', 2],
  ['agent-kill', 2],
  ['agent-stop', 2],
  ['frpc-kill', 1],
  ['frps-kill', 1],
  ['mariadb-kill', 1],
  ['dockerd-kill', 1],
  ['container-kill', 3],
];

/** faultsNotDrawn is used to leave out, with the reason, the kinds this cluster must not get. */
export function faultsNotDrawn(cluster: Pick<ChaosCluster, 'docker'>): Map<FaultKind, string> {
  const out = new Map<FaultKind, string>();
  // A Docker Engine given from outside (DOCKER_HOST) runs other people's containers.
  if (cluster.docker.own === undefined)
    out.set('dockerd-kill', `Docker at ${cluster.docker.socket} is not the runner's own`);
  return out;
}

/** FaultRecord is used for one line of the fault log. */
export interface FaultRecord {
  n: number;
  kind: FaultKind;
  target: string;
  /** Which node's cleanup it can hold up: a node's hostname, or 'all' (frps, MariaDB, a replica). */
  scope: string;
  startedAt: number;
  /** When the target was back (restarted, resumed); the start time for instant faults. */
  endedAt: number | undefined;
  detail: string;
}

type Rng = () => number;
const BURST_CREATES = 6;

/** msUntil is used to poll ok() every everyMs until it holds: ms it took, or undefined. */
async function msUntil(
  ok: () => Promise<boolean>,
  timeoutMs: number,
  everyMs: number,
): Promise<number | undefined> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await ok().catch(() => false)) return Date.now() - start;
    await sleep(everyMs);
  }
  return undefined;
}

/** takeoverSeen is used to wait until a replica other than `stopped` leads; ms it took. */
const takeoverSeen = (
  cluster: Pick<ChaosCluster, 'leader'>,
  stopped: ManagedProcess,
  timeoutMs: number,
): Promise<number | undefined> =>
  msUntil(
    async () => {
      const now = await cluster.leader();
      return now !== undefined && now !== stopped;
    },
    timeoutMs,
    20,
  );

/** firstBound is used to wait until one of the named claims is bound; ms it took, or undefined. */
const firstBound = (
  cluster: Pick<ChaosCluster, 'db'>,
  names: readonly string[],
  timeoutMs: number,
): Promise<number | undefined> =>
  msUntil(
    async () => {
      const [rows] = await cluster.db.query(
        'SELECT id FROM gpu_claims WHERE name IN (?) AND node_id IS NOT NULL LIMIT 1',
        [names],
      );
      return Array.isArray(rows) && rows.length > 0;
    },
    timeoutMs,
    10,
  );
const between = (rand: Rng, lo: number, hi: number): number => lo + rand() * (hi - lo);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** FaultInjector is used by the runner: start it, stop it, read its log. */
export interface FaultInjector {
  readonly log: readonly FaultRecord[];
  /** notDrawn is used by the report: each kind left out of this run, and why. */
  readonly notDrawn: ReadonlyMap<FaultKind, string>;
  /** quietSince is used by the invariants: see RunnerKnowledge.quietSince. */
  quietSince(host: string): number;
  lastEndedAt(): number;
  /** run is used to inject faults until the deadline, then wait until every one has ended. */
  run(deadline: number): Promise<void>;
  stop(): void;
}

/** createFaultInjector is used once per run, with the run's PRNG and its start time. */
export function createFaultInjector(
  cluster: ChaosCluster,
  rand: Rng,
  t0: number,
  print: (line: string) => void,
  opts: {
    minGapMs: number;
    maxGapMs: number;
    maxConcurrent: number;
    /** Sends n creates at once; answers the claims' names. */
    burst(n: number): readonly string[];
  },
): FaultInjector {
  const log: FaultRecord[] = [];
  const busy = new Set<string>();
  const pending = new Set<Promise<void>>();
  let lastEnded = t0;
  let stopped = false;
  const stamp = (at: number): string => `+${((at - t0) / 1000).toFixed(1)}s`;

  const begin = (kind: FaultKind, target: string, scope: string, detail: string): FaultRecord => {
    const r: FaultRecord = {
      n: log.length + 1,
      kind,
      target,
      scope,
      startedAt: Date.now(),
      endedAt: undefined,
      detail,
    };
    log.push(r);
    print(`[${stamp(r.startedAt)}] fault #${r.n} ${kind} ${target} ${detail}`);
    return r;
  };
  const end = (r: FaultRecord, what: string): void => {
    r.endedAt = Date.now();
    lastEnded = Math.max(lastEnded, r.endedAt);
    print(`[${stamp(r.endedAt)}] fault #${r.n} ended: ${what}`);
  };
  /** later is used for the recovery half of a fault; it runs even after the deadline. */
  const later = (target: string, ms: number, fn: () => Promise<void>): void => {
    busy.add(target);
    const p = sleep(ms)
      .then(fn)
      .catch((e: unknown) => print(`chaos: recovering ${target} failed: ${String(e)}`))
      .finally(() => {
        busy.delete(target);
        pending.delete(p);
      });
    pending.add(p);
  };
  const pick = <T>(list: readonly T[]): T | undefined => list[Math.floor(rand() * list.length)];
  const free = (procs: readonly ManagedProcess[]) =>
    procs.filter((p) => !busy.has(p.name) && p.isRunning());
  const serversDown = () => cluster.servers.filter((s) => busy.has(s.name)).length;

  // Agents are named after their node's hostname; every other process concerns all nodes.
  const scopeOf = (name: string): string =>
    cluster.agents.some((a) => a.name === name) ? name : 'all';
  /** killThenRestart is used for every kill -9 fault of a process the runner restarts itself. */
  const killThenRestart = async (
    kind: FaultKind,
    p: { name: string; kill9(): Promise<void>; start(): void | Promise<void> },
    downMs: number,
  ): Promise<boolean> => {
    const r = begin(
      kind,
      p.name,
      scopeOf(p.name),
      `(kill -9, restart in ${(downMs / 1000).toFixed(1)} s)`,
    );
    await p.kill9();
    later(p.name, downMs, async () => {
      await p.start();
      end(r, `${p.name} restarted`);
    });
    return true;
  };
  /** pauseFor is used for a SIGSTOP fault: a partition seen from the stopped side. */
  const pauseFor = (kind: FaultKind, p: ManagedProcess, ms: number, past: string): boolean => {
    const r = begin(
      kind,
      p.name,
      scopeOf(p.name),
      `(SIGSTOP for ${(ms / 1000).toFixed(1)} s, ${past})`,
    );
    p.pause();
    later(p.name, ms, async () => {
      p.resume();
      end(r, `${p.name} resumed`);
    });
    return true;
  };
  const { leaseMs, nodeGraceMs } = CHAOS_TIMINGS;
  const aServer = () => (serversDown() === 0 ? pick(free(cluster.servers)) : undefined);

  const inject: Record<FaultKind, () => Promise<boolean>> = {
    async 'server-kill'() {
      const s = aServer();
      return !!s && killThenRestart('server-kill', s, between(rand, 1_000, 6_000));
    },
    async 'server-stop'() {
      const s = aServer();
      const ms = between(rand, leaseMs + 1_000, leaseMs + 4_000);
      return !!s && pauseFor('server-stop', s, ms, `lease ${leaseMs / 1000} s`);
    },
    async 'leader-stop-busy'() {
      if (serversDown() > 0) return false;
      const leader = await cluster.leader();
      if (!leader || busy.has(leader.name)) return false;
      const names = opts.burst(BURST_CREATES);
      if (names.length === 0) return false;
      // The leader is now binding and creating: stop it as soon as the first of them is bound,
      // so it has agent calls and writes of its term in flight when it wakes.
      const boundAfterMs = await firstBound(cluster, names, 5_000);
      const wakeAfterMs = between(rand, 0, 300);
      const when =
        boundAfterMs === undefined
          ? 'none bound within 5 s'
          : `the first bound after ${boundAfterMs} ms`;
      const r = begin(
        'leader-stop-busy',
        leader.name,
        'all',
        `(SIGSTOP until the other replica leads, then ${Math.round(wakeAfterMs)} ms more; ${names.length} creates just sent, ${when})`,
      );
      leader.pause();
      // Woken just after the takeover, its writes in flight race the new leader's first ones:
      // the moment the fencing must refuse them. Stopped inside a transaction, it keeps that
      // transaction's locks (the lease row's shared one, between its commit's check and the
      // commit), which can hold the takeover up until MariaDB's idle_transaction_timeout (10 s)
      // rolls it back: the wait allows for that.
      later(leader.name, 0, async () => {
        const tookOver = await takeoverSeen(cluster, leader, leaseMs + 15_000);
        await sleep(wakeAfterMs);
        leader.resume();
        end(
          r,
          `${leader.name} resumed (${tookOver ? `takeover after ${tookOver} ms` : 'no takeover seen'})`,
        );
      });
      return true;
    },
    async 'agent-kill'() {
      const a = pick(free(cluster.agents));
      return !!a && killThenRestart('agent-kill', a, between(rand, 1_000, nodeGraceMs + 3_000));
    },
    async 'agent-stop'() {
      const a = pick(free(cluster.agents));
      const ms = between(rand, nodeGraceMs + 1_000, nodeGraceMs + 4_000);
      return !!a && pauseFor('agent-stop', a, ms, `node grace ${nodeGraceMs / 1000} s`);
    },
    async 'frpc-kill'() {
      const i = Math.floor(rand() * cluster.agents.length);
      const agent = cluster.agents[i];
      const pid = agent && !busy.has(agent.name) ? cluster.frpcPid(i) : undefined;
      if (!agent || pid === undefined) return false;
      const r = begin(
        'frpc-kill',
        `frpc of ${agent.name}`,
        agent.name,
        `(kill -9 pid ${pid}; the agent restarts it)`,
      );
      process.kill(pid, 'SIGKILL');
      end(r, 'killed');
      return true;
    },
    async 'frps-kill'() {
      if (busy.has('frps') || !cluster.frps.isRunning()) return false;
      return killThenRestart('frps-kill', cluster.frps, between(rand, 1_000, 4_000));
    },
    async 'mariadb-kill'() {
      if (busy.has('mariadb') || !cluster.mariadb.isRunning()) return false;
      return killThenRestart('mariadb-kill', cluster.mariadb, between(rand, 1_000, 4_000));
    },
    async 'dockerd-kill'() {
      // Every node's engine: its containers stop (ours have no restart policy of Docker's; the
      // controller restarts them), so its scope is every node, as for frps.
      const d = cluster.docker.own;
      if (!d || busy.has(d.name) || !d.isRunning()) return false;
      return killThenRestart('dockerd-kill', d, between(rand, 1_000, 4_000));
    },
    async 'container-kill'() {
      const running = (await readContainers(cluster.docker.socket, cluster.runLabel)).filter(
        (c) => c.running,
      );
      const c = pick(running);
      if (!c) return false;
      const r = begin(
        'container-kill',
        `container ${c.id.slice(0, 12)}`,
        c.host,
        `(docker kill; claim ${c.claimId})`,
      );
      await dockerCall(cluster.docker.socket, 'POST', `/containers/${c.id}/kill`).catch(() => '');
      end(r, 'killed');
      return true;
    },
  };
  const notDrawn = faultsNotDrawn(cluster);
  const weights = FAULT_WEIGHTS.filter(([k]) => !notDrawn.has(k));
  const total = weights.reduce((a, [, w]) => a + w, 0);
  const drawKind = (): FaultKind => {
    let x = rand() * total;
    for (const [k, w] of weights) if ((x -= w) < 0) return k;
    return 'container-kill';
  };

  return {
    log,
    notDrawn,
    quietSince(host) {
      let since = t0;
      for (const f of log)
        if (f.scope === 'all' || f.scope === host) since = Math.max(since, f.endedAt ?? Infinity);
      return since;
    },
    lastEndedAt: () => lastEnded,
    async run(deadline) {
      while (!stopped && Date.now() < deadline) {
        await sleep(between(rand, opts.minGapMs, opts.maxGapMs));
        if (stopped || Date.now() >= deadline) break;
        if (busy.size >= opts.maxConcurrent) continue;
        const kind = drawKind();
        await inject[kind]().catch((e: unknown) =>
          print(`chaos: fault ${kind} failed: ${String(e)}`),
        );
      }
      while (pending.size > 0) await Promise.all([...pending]);
    },
    stop() {
      stopped = true;
    },
  };
}
