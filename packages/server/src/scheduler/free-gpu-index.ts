// An index of schedulable nodes by free GPU count, per GPU model: it answers "nodes with at least
// k free GPUs (of model M), fewest free first, then by id" without a scan of the cluster, which
// is exactly best-fit's ranking (fewest GPUs left over), and the same nodes by id (first-fit's). Pure data; the cluster model updates it
// on every bind and release.
import { compareIds } from './stack.js';

/** ANY_MODEL is used as the index key of "any GPU model". */
const ANY_MODEL = '';

interface Entry {
  keys: readonly string[];
  free: number;
}

/** FreeGpuIndex is used to find best-fit candidates in O(log n) per bind, release or lookup. */
export class FreeGpuIndex {
  /** model key → buckets[free count] → node ids, ascending. */
  readonly #byModel = new Map<string, string[][]>();
  readonly #entries = new Map<string, Entry>();

  /**
   * set is used when a node's free count or models changed; a node listed with free 0 (or one
   * that cannot take claims: the caller passes undefined) leaves the index.
   */
  set(nodeId: string, entry: { models: readonly string[]; free: number } | undefined): void {
    this.remove(nodeId);
    if (entry === undefined || entry.free <= 0) return;
    const keys = [ANY_MODEL, ...new Set(entry.models.map((m) => m.toLowerCase()))];
    for (const key of keys) insertSorted(this.#bucket(key, entry.free), nodeId);
    this.#entries.set(nodeId, { keys, free: entry.free });
  }

  /** remove is used when a node is gone or can no longer take claims. */
  remove(nodeId: string): void {
    const entry = this.#entries.get(nodeId);
    if (entry === undefined) return;
    for (const key of entry.keys) {
      const bucket = this.#byModel.get(key)?.[entry.free];
      if (bucket) removeSorted(bucket, nodeId);
    }
    this.#entries.delete(nodeId);
  }

  /** freeOf is used by tests and drift checks: the free count the index holds for a node. */
  freeOf(nodeId: string): number {
    return this.#entries.get(nodeId)?.free ?? 0;
  }

  /** candidates is used to walk nodes with ≥ minFree free GPUs: fewest free first, then by id. */
  *candidates(model: string | undefined, minFree: number): Generator<string> {
    const buckets = this.#byModel.get(model === undefined ? ANY_MODEL : model.toLowerCase());
    if (buckets === undefined) return;
    for (let free = Math.max(1, minFree); free < buckets.length; free++)
      for (const id of buckets[free] ?? []) yield id;
  }

  /**
   * candidatesById is used for first-fit: the same nodes as candidates(), ascending by id. The
   * buckets are each sorted by id, so this merges their heads (a few buckets: one per free count).
   */
  *candidatesById(model: string | undefined, minFree: number): Generator<string> {
    const buckets = this.#byModel.get(model === undefined ? ANY_MODEL : model.toLowerCase());
    if (buckets === undefined) return;
    const heads = buckets
      .slice(Math.max(1, minFree))
      .filter((b) => b.length > 0)
      .map((bucket) => ({ bucket, at: 0 }));
    for (;;) {
      let next: { bucket: readonly string[]; at: number } | undefined;
      for (const h of heads)
        if (h.at < h.bucket.length) {
          const id = h.bucket[h.at] ?? '';
          if (next === undefined || compareIds(id, next.bucket[next.at] ?? '') < 0) next = h;
        }
      if (next === undefined) return;
      yield next.bucket[next.at++] ?? '';
    }
  }

  #bucket(key: string, free: number): string[] {
    let buckets = this.#byModel.get(key);
    if (buckets === undefined) this.#byModel.set(key, (buckets = []));
    while (buckets.length <= free) buckets.push([]);
    const bucket = buckets[free];
    if (bucket === undefined) throw new Error('unreachable: bucket was just created');
    return bucket;
  }
}

function lowerBound(sorted: readonly string[], id: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareIds(sorted[mid] ?? '', id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: string[], id: string): void {
  const at = lowerBound(sorted, id);
  if (sorted[at] !== id) sorted.splice(at, 0, id);
}

function removeSorted(sorted: string[], id: string): void {
  const at = lowerBound(sorted, id);
  if (sorted[at] === id) sorted.splice(at, 1);
}
