// The leader's in-memory cluster model (what the Kubernetes scheduler cache and client-go
// informers are): nodes with parsed GPUs, each node's reserved GPUs and CPU/memory use, and the
// free-GPU index, so a placement reads no rows and parses no JSON.
//
// What keeps it current, and why it cannot drift:
// - Reservations and usage change only by the controller's own writes (bind, release, delete;
//   nothing else writes gpu_reservations), and only the leader runs the controller. The
//   reconciler tells the model right after each commit (bound / released). Between a decision and
//   its commit the model already holds the GPUs (assume, then bind), so concurrent workers never
//   reach for the same GPUs; a failed bind puts the claim's previous holding back.
// - Nodes are written by the API on any replica and by the leader's health loop. The model
//   compares every node's version with the database (one narrow query: id and version) when a
//   local signal says nodes changed and at least every `nodeCheckMs`, and re-reads (and
//   re-parses) only the nodes whose version moved. Every node write bumps its version.
// - As the safety net, resync() rebuilds everything from the database, logs any difference it
//   finds (drift would mean a write path that bypasses the model), and swaps the new state in.
import type { Kysely } from 'kysely';
import { listReservations } from '../claims/claims.repository.js';
import { listUsage } from '../claims/claim-usage.repository.js';
import type { Database } from '../db/schema.js';
import { toNodeView } from '../controller/cluster-snapshot.js';
import type { IndexedCluster } from '../scheduler/index.js';
import { ClusterModelState, type Holding } from '../scheduler/cluster-state.js';

/** ClusterModelOptions is used to tune how often node versions are compared with the database. */
export interface ClusterModelOptions {
  /** A placement compares node versions when the last comparison is older than this; 0: always. */
  nodeCheckMs: number;
  log: (msg: string, extra?: object) => void;
}

/** Assumption is used to settle a decision's holding once its bind committed or failed. */
export interface Assumption {
  commit(): void;
  rollback(): void;
}

/** ClusterModel is used by the leader's controller for every placement. */
export interface ClusterModel {
  /** view is used to place claims: current nodes (checked per nodeCheckMs), holdings, index. */
  view(): Promise<IndexedCluster>;
  /** nodesChanged is used when a local signal says nodes changed: the next view() compares. */
  nodesChanged(): void;
  /** assume is used at decision time, before the bind's transaction (assume, then bind). */
  assume(claimId: string, h: Holding): Assumption;
  /** released is used after a commit that released a claim's GPUs. */
  released(claimId: string): void;
  /** resync is used as the safety net: rebuild from the database, log what had drifted. */
  resync(): Promise<void>;
}

/** createClusterModel is used once per leadership term: it is built from the database. */
export function createClusterModel(db: Kysely<Database>, opts: ClusterModelOptions): ClusterModel {
  let state: ClusterModelState | undefined;
  let loading: Promise<ClusterModelState> | undefined;
  let checkedAt = -Infinity;
  let checking: Promise<void> | undefined;
  let resyncing: Promise<void> | undefined;
  // Holds made while a resync reads, and binds not yet settled: the rebuilt state gets them too,
  // as its read may have missed them.
  let journal: Map<string, Holding | undefined> | undefined;
  const inFlight = new Map<string, Holding>();

  function hold(claimId: string, h: Holding | undefined): void {
    state?.hold(claimId, h);
    journal?.set(claimId, h);
  }

  async function load(): Promise<ClusterModelState> {
    // A failed read is not kept: the next view() reads again (a transient error must not leave
    // the term without a model).
    loading ??= readState(db).then(
      (s) => {
        state = s;
        checkedAt = performance.now();
        return s;
      },
      (e: unknown) => {
        loading = undefined;
        throw e;
      },
    );
    return loading;
  }

  async function checkNodes(s: ClusterModelState): Promise<void> {
    checking ??= compareNodes(db, s).finally(() => {
      checking = undefined;
    });
    await checking;
  }

  async function rebuild(): Promise<void> {
    const old = state;
    if (!old) return;
    journal = new Map();
    try {
      const fresh = await readState(db);
      const recent = new Set([...journal.keys(), ...inFlight.keys()]);
      for (const [id, h] of journal) fresh.hold(id, h);
      for (const [id, h] of inFlight) fresh.hold(id, h);
      const drift = describeDrift(state ?? old, fresh, recent);
      if (drift.length > 0) opts.log('cluster model had drifted; rebuilt', { drift });
      state = fresh;
    } finally {
      journal = undefined;
    }
  }

  return {
    async view() {
      const s = state ?? (await load());
      if (performance.now() - checkedAt >= opts.nodeCheckMs) {
        checkedAt = performance.now();
        await checkNodes(s);
      }
      return state ?? s;
    },
    nodesChanged() {
      checkedAt = -Infinity;
    },
    assume(claimId, h) {
      const before = state?.holdings.get(claimId);
      hold(claimId, h);
      inFlight.set(claimId, h);
      return {
        commit: () => inFlight.delete(claimId),
        rollback() {
          inFlight.delete(claimId);
          hold(claimId, before);
        },
      };
    },
    released: (claimId) => hold(claimId, undefined),
    resync() {
      resyncing ??= rebuild().finally(() => {
        resyncing = undefined;
      });
      return resyncing;
    },
  };
}

async function readState(db: Kysely<Database>): Promise<ClusterModelState> {
  const s = new ClusterModelState();
  const [nodes, reservations, usage] = await Promise.all([
    db.selectFrom('nodes').selectAll().execute(),
    listReservations(db),
    listUsage(db),
  ]);
  for (const row of nodes) s.setNode(toNodeView(row), row.version);
  const byClaim = new Map<string, Holding>();
  for (const r of reservations) {
    const h = byClaim.get(r.claim_id);
    if (h) byClaim.set(r.claim_id, { ...h, gpuIndices: [...h.gpuIndices, r.gpu_index] });
    else
      byClaim.set(r.claim_id, {
        nodeId: r.node_id,
        gpuIndices: [r.gpu_index],
        cpuMillis: 0,
        memoryMiB: 0,
      });
  }
  for (const u of usage) {
    const h = byClaim.get(u.claimId);
    if (h) byClaim.set(u.claimId, { ...h, cpuMillis: u.cpuMillis, memoryMiB: u.memoryMiB });
  }
  for (const [claimId, h] of byClaim) s.hold(claimId, h);
  return s;
}

/** compareNodes is used to re-read only the nodes whose version moved, and drop deleted ones. */
async function compareNodes(db: Kysely<Database>, s: ClusterModelState): Promise<void> {
  const versions = await db.selectFrom('nodes').select(['id', 'version']).execute();
  const seen = new Set<string>();
  const changed: string[] = [];
  for (const v of versions) {
    seen.add(v.id);
    if (s.nodeRecords.get(v.id)?.version !== v.version) changed.push(v.id);
  }
  for (const id of [...s.nodeRecords.keys()]) if (!seen.has(id)) s.deleteNode(id);
  for (let i = 0; i < changed.length; i += 500) {
    const rows = await db
      .selectFrom('nodes')
      .selectAll()
      .where('id', 'in', changed.slice(i, i + 500))
      .execute();
    for (const row of rows) s.setNode(toNodeView(row), row.version);
  }
}

function describeDrift(
  model: ClusterModelState,
  db: ClusterModelState,
  recent: ReadonlySet<string>,
): string[] {
  const out: string[] = [];
  const ids = new Set([...model.holdings.keys(), ...db.holdings.keys()]);
  for (const id of ids) {
    if (recent.has(id)) continue;
    const a = model.holdings.get(id);
    const b = db.holdings.get(id);
    if (holdingKey(a) !== holdingKey(b))
      out.push(`claim ${id}: model ${holdingKey(a)}, database ${holdingKey(b)}`);
  }
  // Node versions are not compared: they move between two version checks by design.
  return out.slice(0, 20);
}

function holdingKey(h: Holding | undefined): string {
  if (!h) return 'none';
  const gpus = [...h.gpuIndices].sort((a, b) => a - b).join(',');
  return `${h.nodeId}[${gpus}] cpu ${h.cpuMillis} mem ${h.memoryMiB}`;
}
