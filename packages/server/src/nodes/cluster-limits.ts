// What POST /api/gpu-claims validates gpuCount against: the largest node's GPU count. Parsing
// every node's GPU JSON on every POST was most of the POST's cost at 1,000 nodes, so the answer
// is cached per database and re-read only when a cheap fingerprint of the nodes table moved. Even
// the fingerprint is a scan of every node row (a third of a millisecond at 1,000 nodes), so a
// POST that the cached answer admits is let through on an answer up to a few seconds old; only a
// refusal is always decided on a fresh read (see checkGpuCount).
import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { parseGpus } from './node-records.js';

/** ClusterLimits is used to validate claims: how many nodes, and the most GPUs on one. */
export interface ClusterLimits {
  nodes: number;
  largestGpuCount: number;
}

interface Cached {
  fingerprint: string;
  limits: ClusterLimits;
  /** performance.now() of the fingerprint read that confirmed these limits. */
  readAt: number;
}

/** How old a cached answer may be and still admit a claim. */
export const ADMIT_ON_CACHED_MS = 2_000;

const cache = new WeakMap<Kysely<Database>, Cached>();

/**
 * clusterLimits is used by the claims service. Every node write bumps the row's version, a
 * registration adds a newer created_at and a deletion lowers the count, so (count, sum of
 * versions, newest created_at) changes whenever a node's inventory can have changed.
 */
export async function clusterLimits(db: Kysely<Database>): Promise<ClusterLimits> {
  const f = await db
    .selectFrom('nodes')
    .select((eb) => [
      eb.fn.countAll<number>().as('n'),
      eb.fn.sum<number>('version').as('v'),
      eb.fn.max('created_at').as('c'),
    ])
    .executeTakeFirstOrThrow();
  const fingerprint = `${Number(f.n)}/${Number(f.v ?? 0)}/${String(f.c ?? '')}`;
  const hit = cache.get(db);
  const readAt = performance.now();
  if (hit?.fingerprint === fingerprint) {
    hit.readAt = readAt;
    return hit.limits;
  }
  const rows = await db.selectFrom('nodes').select('gpus').execute();
  const limits = {
    nodes: rows.length,
    largestGpuCount: Math.max(0, ...rows.map((r) => parseGpus(r).length)),
  };
  cache.set(db, { fingerprint, limits, readAt });
  return limits;
}

/**
 * GpuCountCheck is used for the answer to "may a claim ask for this many GPUs": admitted, or
 * refused with the limits (read fresh) that refuse it.
 */
export type GpuCountCheck = { admitted: true } | { admitted: false; limits: ClusterLimits };

/**
 * checkGpuCount is used by POST /api/gpu-claims. With no node registered yet there is nothing to
 * compare with, so any count is admitted (the claim waits, saying why). A count the cached limits
 * admit is admitted if they were confirmed within ADMIT_ON_CACHED_MS: a node that shrank or left
 * in that time leaves the claim Pending with its reason, as if it had left just after the POST. A
 * refusal is always decided on a fresh read, so a node registered a moment ago is never missed.
 */
export async function checkGpuCount(
  db: Kysely<Database>,
  wanted: number,
  maxAgeMs = ADMIT_ON_CACHED_MS,
): Promise<GpuCountCheck> {
  const admits = (l: ClusterLimits): boolean => l.nodes === 0 || wanted <= l.largestGpuCount;
  const hit = cache.get(db);
  if (hit && performance.now() - hit.readAt <= maxAgeMs && admits(hit.limits))
    return { admitted: true };
  const limits = await clusterLimits(db);
  return admits(limits) ? { admitted: true } : { admitted: false, limits };
}
