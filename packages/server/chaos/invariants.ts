// The invariants of docs/design.md §3, checked on every snapshot (observe.ts) while faults run.
// Pure: the runner feeds snapshots and what it knows (acknowledged claims, its own deletions, when
// the last fault ended); violations come back as data.
import type { ClaimView, ContainerView, PhaseChange, Snapshot } from './observe.js';

/**
 * ALLOWED_TRANSITIONS is used to check phase changes from the change log. It is read off
 * controller/claim-decide.ts and claim-apply.ts: bind (Pending → Scheduled), create (→ Running),
 * restart (Running → Scheduled), reschedule of a lost or drained node (→ Pending), fail, finish,
 * and deletion, which always passes through Terminating before the row goes.
 */
export const ALLOWED_TRANSITIONS: Readonly<Record<string, readonly string[]>> = {
  Pending: ['Scheduled', 'Terminating'],
  Scheduled: ['Running', 'Pending', 'Failed', 'Terminating'],
  Running: ['Scheduled', 'Pending', 'Succeeded', 'Failed', 'Terminating'],
  Succeeded: ['Terminating'],
  Failed: ['Terminating'],
  Terminating: ['DELETED'],
};

const GAP_MS = 30_000;

/** InvariantKind is used to name each invariant a violation broke. */
export type InvariantKind =
  | 'gpu-double-booked-docker'
  | 'gpu-double-booked-db'
  | 'running-without-container'
  | 'duplicate-containers'
  | 'claim-lost'
  | 'orphan-container'
  | 'bad-transition'
  | 'stale-term-write';

/** Violation is used to report one broken invariant with what both views showed. */
export interface Violation {
  kind: InvariantKind;
  at: number;
  message: string;
}

/** RunnerKnowledge is used to give the checker what only the runner knows. */
export interface RunnerKnowledge {
  /** Claims a create answered 201 for, with when the answer came. */
  acked: ReadonlyMap<string, number>;
  /** Claims the runner asked to delete (marked before the request is sent). */
  deleted: ReadonlySet<string>;
  /**
   * quietSince is used to ask since when nothing that could hold up a node's cleanup has been
   * wrong: no fault of its agent, its frpc or its containers, of frps, MariaDB or a replica.
   * +Infinity while such a fault is active. Tolerances count from here.
   */
  quietSince(host: string): number;
}

/** CheckerOptions is used to set how long a transient state may last once its faults are over. */
export interface CheckerOptions {
  /** A claim's container may be missing, or an orphan may stay, this long after the last fault. */
  toleranceMs: number;
}

const liveOnNode = (containers: readonly ContainerView[]) => {
  const byNode = new Map<string, ContainerView[]>();
  for (const c of containers)
    if (c.running) byNode.set(c.nodeId, [...(byNode.get(c.nodeId) ?? []), c]);
  return byNode;
};

/** isOrphan is used the way the orphan sweep decides: no claim, or the claim is on another node. */
export const isOrphan = (c: ContainerView, claims: ReadonlyMap<string, ClaimView>): boolean => {
  const claim = claims.get(c.claimId);
  return !claim || claim.nodeId !== c.nodeId;
};

/** createInvariantChecker is used once per run; check() is called on every snapshot. */
export function createInvariantChecker(opts: CheckerOptions) {
  const lastPhase = new Map<string, string>();
  const lastVersion = new Map<string, number>();
  // Change-log rows that came before the row preceding them: held until it comes, or for at most
  // GAP_MS (a rolled-back write leaves a hole), then taken without checking the step into them.
  const held = new Map<string, { ch: PhaseChange; since: number }[]>();
  const follows = (ch: PhaseChange): boolean => {
    const v = lastVersion.get(ch.claimId);
    if (v === undefined) return ch.type === 'ADDED';
    return ch.type === 'DELETED' ? ch.version === v : ch.version === v + 1;
  };
  const isStale = (ch: PhaseChange): boolean => {
    const v = lastVersion.get(ch.claimId);
    return v !== undefined && (ch.version < v || (ch.version === v && ch.type !== 'DELETED'));
  };
  const record = (ch: PhaseChange, next: string): void => {
    if (next === 'DELETED') {
      lastPhase.delete(ch.claimId);
      lastVersion.delete(ch.claimId);
    } else {
      lastPhase.set(ch.claimId, next);
      lastVersion.set(ch.claimId, ch.version);
    }
  };
  const step = (ch: PhaseChange, report: (kind: InvariantKind, message: string) => void) => {
    const next = ch.type === 'DELETED' ? 'DELETED' : ch.phase;
    if (next === undefined) return;
    const prev = lastPhase.get(ch.claimId);
    if (prev === undefined) {
      if (ch.type === 'ADDED' && next !== 'Pending')
        report('bad-transition', `claim ${ch.claimId} was created in phase ${next} (rv ${ch.rv})`);
    } else if (prev !== next && !(ALLOWED_TRANSITIONS[prev] ?? []).includes(next)) {
      report(
        'bad-transition',
        `claim ${ch.claimId} moved ${prev} → ${next} (rv ${ch.rv}, version ${ch.version})`,
      );
    }
    record(ch, next);
  };
  const checkTransitions = (
    changes: readonly PhaseChange[],
    now: number,
    report: (kind: InvariantKind, message: string) => void,
  ): void => {
    for (const ch of changes)
      held.set(ch.claimId, [...(held.get(ch.claimId) ?? []), { ch, since: now }]);
    for (const [id, list] of held) {
      list.sort((a, b) => a.ch.version - b.ch.version || (a.ch.type === 'DELETED' ? 1 : -1));
      for (let head = list[0]; head; head = list[0]) {
        if (isStale(head.ch)) {
          // already passed
        } else if (follows(head.ch)) step(head.ch, report);
        else if (now - head.since >= GAP_MS)
          record(head.ch, head.ch.type === 'DELETED' ? 'DELETED' : (head.ch.phase ?? ''));
        else break;
        list.shift();
      }
      if (list.length === 0) held.delete(id);
    }
  };
  // 6. Fencing: once a newer controller term has written, no older one writes again. Rows come
  // in commit order, not rv order, so every term's first rv is compared with every row of an
  // older term, whenever either arrives; each offending row is reported once.
  const firstRvOfTerm = new Map<number, number>();
  const termRows: PhaseChange[] = [];
  const reportedStale = new Set<number>();
  const checkTerms = (
    changes: readonly PhaseChange[],
    report: (kind: InvariantKind, message: string) => void,
  ): void => {
    for (const ch of changes) {
      const g = ch.leaseGeneration;
      if (g === null) continue;
      termRows.push(ch);
      firstRvOfTerm.set(g, Math.min(firstRvOfTerm.get(g) ?? Infinity, ch.rv));
    }
    for (const ch of termRows) {
      const g = ch.leaseGeneration ?? 0;
      if (reportedStale.has(ch.rv)) continue;
      for (const [newer, firstRv] of firstRvOfTerm)
        if (newer > g && firstRv < ch.rv) {
          reportedStale.add(ch.rv);
          report(
            'stale-term-write',
            `claim ${ch.claimId} was written (rv ${ch.rv}, ${ch.type} ${ch.phase ?? ''}) by lease generation ${g} after generation ${newer} had taken over (its first write rv ${firstRv}): a replica that lost the lease wrote`,
          );
          break;
        }
    }
  };
  // Tolerated conditions: key → when first seen.
  const seenSince = new Map<string, number>();

  const tolerated = (
    key: string,
    now: number,
    quietSince: number,
    active: Set<string>,
  ): boolean => {
    active.add(key);
    const first = seenSince.get(key) ?? now;
    seenSince.set(key, first);
    return now - Math.max(first, quietSince) < opts.toleranceMs;
  };

  return {
    check(s: Snapshot, k: RunnerKnowledge): Violation[] {
      const out: Violation[] = [];
      const report = (kind: InvariantKind, message: string) =>
        out.push({ kind, at: s.at, message });
      const byNode = liveOnNode(s.containers);

      // 1. No GPU index of a node held by two live containers (Docker's view) …
      for (const [node, list] of byNode) {
        const holder = new Map<number, string>();
        for (const c of list)
          for (const g of c.gpuIds) {
            const other = holder.get(g);
            if (other !== undefined && other !== c.claimId)
              report(
                'gpu-double-booked-docker',
                `node ${node} GPU ${g}: containers of claims ${other} and ${c.claimId} both run`,
              );
            holder.set(g, c.claimId);
          }
      }
      // … nor by two bound claims (the database's view).
      const booked = new Map<string, string>();
      for (const c of s.claims.values()) {
        if (!c.nodeId) continue;
        for (const g of c.gpuIds) {
          const key = `${c.nodeId}/${g}`;
          const other = booked.get(key);
          if (other !== undefined)
            report(
              'gpu-double-booked-db',
              `node ${c.nodeId} GPU ${g}: claims ${other} and ${c.id} are both bound to it`,
            );
          booked.set(key, c.id);
        }
      }

      // 2. Every Running claim has exactly one container on its node.
      const active = new Set<string>();
      for (const c of s.claims.values()) {
        if (c.phase !== 'Running' || !c.nodeId) continue;
        const mine = (byNode.get(c.nodeId) ?? []).filter((x) => x.claimId === c.id);
        if (mine.length > 1)
          report(
            'duplicate-containers',
            `claim ${c.id} runs ${mine.length} containers on node ${c.nodeId}: ${mine.map((x) => x.id.slice(0, 12)).join(', ')}`,
          );
        const host = s.nodes.get(c.nodeId)?.hostname ?? '';
        const key = `missing/${c.id}/${c.containerId}`;
        if (mine.length === 0 && !tolerated(key, s.at, k.quietSince(host), active))
          report(
            'running-without-container',
            `claim ${c.id} is Running on node ${c.nodeId} (container ${c.containerId?.slice(0, 12)}) but no container of it runs there`,
          );
      }

      // 3. No acknowledged claim lost, unless the runner deleted it.
      for (const [id, ackedAt] of k.acked)
        if (ackedAt < s.readFrom && !k.deleted.has(id) && !s.claims.has(id))
          report(
            'claim-lost',
            `claim ${id} was acknowledged (201) and never deleted, but its row is gone`,
          );

      // 4. No container without a live claim on its node for longer than the sweep needs.
      for (const c of s.containers)
        if (
          c.running &&
          isOrphan(c, s.claims) &&
          !tolerated(`orphan/${c.id}`, s.at, k.quietSince(c.host), active)
        )
          report(
            'orphan-container',
            `container ${c.id.slice(0, 12)} of claim ${c.claimId} still runs on node ${c.nodeId}; the claim is ${describe(s.claims.get(c.claimId))}`,
          );

      for (const key of [...seenSince.keys()]) if (!active.has(key)) seenSince.delete(key);

      // 5. Phases move only along allowed transitions, taken in each claim's version order.
      checkTransitions(s.changes, s.at, report);
      checkTerms(s.changes, report);
      return out;
    },
  };
}

const describe = (c: ClaimView | undefined): string =>
  c ? `${c.phase} on node ${c.nodeId ?? '(none)'}` : 'gone';

/** ConvergenceState is used to say whether a snapshot is settled, and what still is not. */
export interface ConvergenceState {
  converged: boolean;
  /** Claims that are settled: Running with its one container, or Pending with a reason. */
  settled: Set<string>;
  unsettled: string[];
}

/**
 * convergence is used after the faults: every live claim Running or Pending with a reason, and
 * every claim being deleted (or whose delete was accepted) gone, with its container.
 */
export function convergence(s: Snapshot, deleteAccepted: ReadonlySet<string>): ConvergenceState {
  const byNode = liveOnNode(s.containers);
  const settled = new Set<string>();
  const unsettled: string[] = [];
  for (const c of s.claims.values()) {
    const mine = c.nodeId ? (byNode.get(c.nodeId) ?? []).filter((x) => x.claimId === c.id) : [];
    const ok =
      deleteAccepted.has(c.id) || c.deleting
        ? false
        : (c.phase === 'Running' && mine.length === 1) || (c.phase === 'Pending' && !!c.reason);
    if (ok) settled.add(c.id);
    else
      unsettled.push(
        `${c.id} ${c.phase}${c.deleting ? ' (deleting)' : ''} containers=${mine.length}`,
      );
  }
  for (const c of s.containers)
    if (c.running && isOrphan(c, s.claims))
      unsettled.push(`orphan container ${c.id.slice(0, 12)} on ${c.nodeId}`);
  return { converged: unsettled.length === 0, settled, unsettled };
}
