// What POST /api/gpu-claims validates gpuCount against: the largest node's GPU count. Parsing
// every node's GPU JSON on every POST was most of the POST's cost at 1,000 nodes, so the answer
// is cached per database and re-read only when a cheap fingerprint of the nodes table moved.
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
}

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
  if (hit?.fingerprint === fingerprint) return hit.limits;
  const rows = await db.selectFrom('nodes').select('gpus').execute();
  const limits = {
    nodes: rows.length,
    largestGpuCount: Math.max(0, ...rows.map((r) => parseGpus(r).length)),
  };
  cache.set(db, { fingerprint, limits });
  return limits;
}
