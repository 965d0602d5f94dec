// A steady stream of claim creates and deletes through the load balancer, drawn from the run's
// PRNG. It remembers which creates were acknowledged (201) and which claims it deleted, which is
// what "no acknowledged claim lost" is checked against.
import type { ChaosApi } from './api.js';

/** Workload is used by the runner to drive claims and to read what was acknowledged. */
export interface Workload {
  /** Acknowledged creates: claim id → when the 201 arrived. */
  readonly acked: ReadonlyMap<string, number>;
  readonly deleted: ReadonlySet<string>;
  /** Claims whose delete the server accepted: these must disappear. */
  readonly deleteAccepted: ReadonlySet<string>;
  /** Refused or unanswered creates by HTTP status (0: no answer). */
  readonly refusedByStatus: ReadonlyMap<number, number>;
  counts(): {
    createsSent: number;
    created: number;
    createsRefused: number;
    deletesSent: number;
    deletesAccepted: number;
  };
  /** burst is used to send n creates at once (beside the steady stream); answers their names. */
  burst(n: number): string[];
  run(deadline: number): Promise<void>;
  stop(): void;
}

const MAX_IN_FLIGHT = 4;

/** createWorkload is used to keep about targetLive claims alive, churning them as it goes. */
export function createWorkload(
  api: ChaosApi,
  rand: () => number,
  image: string,
  targetLive: number,
): Workload {
  const acked = new Map<string, number>();
  const deleted = new Set<string>();
  const deleteAccepted = new Set<string>();
  const refusedByStatus = new Map<number, number>();
  const live: string[] = [];
  const c = { createsSent: 0, created: 0, createsRefused: 0, deletesSent: 0, deletesAccepted: 0 };
  const inFlight = new Set<Promise<void>>();
  let stopped = false;
  const track = (p: Promise<void>): void => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };
  const create = (): string => {
    const n = ++c.createsSent;
    const gpus = rand() < 0.6 ? 1 : 2;
    const name = `chaos-${n}`;
    track(
      api.createClaim(name, gpus, image).then((r) => {
        if (r.acked) {
          acked.set(r.id, Date.now());
          live.push(r.id);
          c.created++;
        } else {
          c.createsRefused++;
          refusedByStatus.set(r.status, (refusedByStatus.get(r.status) ?? 0) + 1);
        }
      }),
    );
    return name;
  };
  const remove = (): void => {
    const i = Math.floor(rand() * live.length);
    const [id] = live.splice(i, 1);
    if (id === undefined) return;
    // Marked before the request: a delete whose answer is lost may still have happened.
    deleted.add(id);
    c.deletesSent++;
    track(
      api.deleteClaim(id).then((ok) => {
        if (ok) {
          c.deletesAccepted++;
          deleteAccepted.add(id);
        } else live.push(id); // not accepted: it stays live, a later draw deletes it again
      }),
    );
  };
  return {
    acked,
    deleted,
    deleteAccepted,
    refusedByStatus,
    counts: () => ({ ...c }),
    burst: (n) => (stopped ? [] : Array.from({ length: n }, create)),
    stop() {
      stopped = true;
    },
    async run(deadline) {
      while (!stopped && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 300 + rand() * 900));
        if (inFlight.size >= MAX_IN_FLIGHT) continue;
        // Below the target, mostly creates; above it, mostly deletes: the cluster stays near full.
        const pCreate = live.length < targetLive ? 0.75 : 0.3;
        if (rand() < pCreate || live.length === 0) create();
        else remove();
      }
      await Promise.all([...inFlight]);
    },
  };
}
