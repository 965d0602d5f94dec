// Steady and churn runs on a fake fleet (src/testing/fleet.ts): claims posted at a fixed rate or
// as fast as allowed, some deleted again while the run goes on, then checks of what the server
// and the fake agents hold. Used by the steady-rate, memory and churn benchmarks (figures) and by
// the fleet test (correctness only).
import type { Fleet } from './fleet.js';
import { nextMessage, ONE_GPU_CLAIM } from './fleet.js';

/** LoadOptions is used to shape the claims a run posts (and deletes). */
export interface LoadOptions {
  count: number;
  /** At most this many POSTs in flight. */
  concurrency: number;
  /** POSTs started per second (open loop); 0: as fast as `concurrency` allows. */
  ratePerSecond: number;
  /** Share of acknowledged claims after which a random live claim is deleted (0–1). */
  deleteShare: number;
  seed: number;
}

/** LoadResult is used for what the server answered to a run's requests. */
export interface LoadResult {
  acknowledged: string[];
  deleted: string[];
  /** POSTs answered 429 or 503 (load shed), by status. */
  refused: Record<string, number>;
  /** POSTs that failed otherwise (connection errors, other statuses). */
  failed: number;
  /** The failures by cause: an error code (the fetch's cause) or `HTTP <status>`. */
  failedBy: Record<string, number>;
  deleteFailures: number;
  ms: number;
}

/** loadFleet is used to post (and delete) the run's claims from the fleet's child process. */
export async function loadFleet(fleet: Fleet, opts: LoadOptions): Promise<LoadResult> {
  fleet.child.send({
    kind: 'load',
    url: fleet.t.url,
    token: fleet.token,
    body: ONE_GPU_CLAIM,
    ...opts,
  });
  const { kind: _kind, ...result } = await nextMessage(fleet.child, 'loaded');
  return result;
}

interface ClaimState {
  id: string;
  phase: string;
  nodeId: string | null;
  gpuIds: number[];
  createdAt: string;
  phaseChangedAt: string;
}

/** claimStates is used to read every claim's phase, binding and timestamps. */
export async function claimStates(fleet: Fleet): Promise<Map<string, ClaimState>> {
  const rows = await fleet.t.server.ctx.db.kysely
    .selectFrom('gpu_claims')
    .select(['id', 'phase', 'node_id', 'gpu_ids', 'created_at', 'phase_changed_at'])
    .execute();
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        phase: r.phase,
        nodeId: r.node_id,
        gpuIds: r.gpu_ids ? r.gpu_ids.split(',').map(Number) : [],
        createdAt: String(r.created_at),
        phaseChangedAt: String(r.phase_changed_at),
      },
    ]),
  );
}

/** liveIds is used for the claims acknowledged and not deleted: each must end Running. */
export function liveIds(load: LoadResult): string[] {
  const deleted = new Set(load.deleted);
  return load.acknowledged.filter((id) => !deleted.has(id));
}

/**
 * waitUntilSettled is used to wait until every live claim is Running and every deleted one is
 * gone; false when the deadline passed first.
 */
export async function waitUntilSettled(
  fleet: Fleet,
  load: LoadResult,
  timeoutMs: number,
): Promise<boolean> {
  const live = liveIds(load);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await claimStates(fleet);
    const settled =
      live.every((id) => states.get(id)?.phase === 'Running') &&
      load.deleted.every((id) => !states.has(id));
    if (settled) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** submitToRunningMs is used for each Running claim's createdAt → Running, server timestamps. */
export function submitToRunningMs(states: ReadonlyMap<string, ClaimState>, ids: readonly string[]) {
  const out: number[] = [];
  for (const id of ids) {
    const s = states.get(id);
    if (s?.phase === 'Running') out.push(Date.parse(s.phaseChangedAt) - Date.parse(s.createdAt));
  }
  return out;
}

/** ChurnCheck is used for the invariants after a churn run (all must be 0). */
export interface ChurnCheck {
  /** Acknowledged, never deleted, and not Running (or gone). */
  lost: number;
  /** Deleted (202) but still there. */
  notGone: number;
  /** A (node, GPU index) held by two Running claims in the database. */
  doubleBookedInDb: number;
  /** A (node, GPU index) held by two live containers on the fake agents. */
  doubleBookedOnAgents: number;
  /** Running claims whose container the agents lack, or hold on other GPUs or another node. */
  agentsDisagree: number;
  /** Containers on the agents for claims that are gone. */
  leftoverContainers: number;
}

/** checkChurn is used to compare what the server and the fake agents hold after a run. */
export async function checkChurn(fleet: Fleet, load: LoadResult): Promise<ChurnCheck> {
  const states = await claimStates(fleet);
  fleet.child.send({ kind: 'holdings' });
  const { holdings } = await nextMessage(fleet.child, 'holdings');
  const countTwice = (keys: string[]) => keys.length - new Set(keys).size;
  const running = [...states.values()].filter((s) => s.phase === 'Running');
  const onAgents = new Map(holdings.map((h) => [h.claimId, h]));
  const sameGpus = (a: readonly number[], b: readonly number[]) =>
    [...a].sort().join(',') === [...b].sort().join(',');
  return {
    lost: liveIds(load).filter((id) => states.get(id)?.phase !== 'Running').length,
    notGone: load.deleted.filter((id) => states.has(id)).length,
    doubleBookedInDb: countTwice(running.flatMap((s) => s.gpuIds.map((g) => `${s.nodeId}/${g}`))),
    doubleBookedOnAgents: countTwice(
      holdings.flatMap((h) => h.gpuIds.map((g) => `${h.nodeId}/${g}`)),
    ),
    agentsDisagree: running.filter((s) => {
      const h = onAgents.get(s.id);
      return h === undefined || h.nodeId !== s.nodeId || !sameGpus(h.gpuIds, s.gpuIds);
    }).length,
    leftoverContainers: holdings.filter((h) => !states.has(h.claimId)).length,
  };
}
