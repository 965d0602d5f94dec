// The two views the invariants compare: the database (claims, nodes, the change log with the
// controller term of each write) and Docker (the containers of this run, by their labels). Rows
// are validated, never cast.
import { request } from 'node:http';
import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { Pool } from 'mysql2/promise';

const ClaimRowSchema = Type.Object({
  id: Type.String(),
  phase: Type.String(),
  node_id: Type.Union([Type.String(), Type.Null()]),
  gpu_ids: Type.Union([Type.String(), Type.Null()]),
  container_id: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Union([Type.String(), Type.Null()]),
  deletion_requested_at: Type.Union([Type.String(), Type.Null()]),
});
const NodeRowSchema = Type.Object({
  id: Type.String(),
  hostname: Type.String(),
  status: Type.String(),
});
const ChangeRowSchema = Type.Object({
  rv: Type.Number(),
  object_id: Type.String(),
  object_version: Type.Number(),
  type: Type.String(),
  object: Type.String(),
  lease_generation: Type.Union([Type.Number(), Type.Null()]),
});
const ClaimObjectSchema = Type.Object({ status: Type.Object({ phase: Type.String() }) });
const DockerContainerSchema = Type.Object({
  Id: Type.String(),
  State: Type.String(),
  Labels: Type.Record(Type.String(), Type.String()),
});

/** ClaimView is used for one claim as the database has it. */
export interface ClaimView {
  id: string;
  phase: string;
  nodeId: string | null;
  gpuIds: number[];
  containerId: string | null;
  reason: string | null;
  deleting: boolean;
}

/** ContainerView is used for one container of this run as Docker has it. */
export interface ContainerView {
  id: string;
  claimId: string;
  nodeId: string;
  /** The hostname of the agent that created it (its process is named so too). */
  host: string;
  gpuIds: number[];
  running: boolean;
}

/** PhaseChange is used for one write of a claim from the change log (DELETED has no phase). */
export interface PhaseChange {
  rv: number;
  claimId: string;
  /** The claim's version after the write (its last one for DELETED). */
  version: number;
  type: string;
  phase: string | undefined;
  /** The controller term that wrote it; null for the API's writes. */
  leaseGeneration: number | null;
}

/** Snapshot is used as one reading of both views. */
export interface Snapshot {
  at: number;
  /** When the reading began: only what was acknowledged before it must be in it. */
  readFrom: number;
  claims: Map<string, ClaimView>;
  nodes: Map<string, { hostname: string; status: string }>;
  containers: ContainerView[];
  changes: PhaseChange[];
}

const parseIds = (s: string | null | undefined): number[] =>
  s
    ? s
        .split(',')
        .map((x) => Number(x.trim()))
        .filter((n) => Number.isInteger(n))
    : [];

function rowsOf<S extends Parameters<typeof Value.Check>[0]>(
  schema: S,
  rows: unknown,
): Static<S>[] {
  const list = Type.Array(schema);
  if (!Value.Check(list, rows)) throw new Error('chaos: unexpected row shape from the database');
  return rows;
}

/** dockerGet is used to call the Docker Engine API over its unix socket. */
export function dockerCall(socketPath: string, method: string, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path, method, timeout: 5_000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () =>
        (res.statusCode ?? 500) < 400
          ? resolve(body)
          : reject(new Error(`docker ${method} ${path}: ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error(`docker ${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

/** readContainers is used to list every container (any state) this run's agents created. */
export async function readContainers(socket: string, runLabel: string): Promise<ContainerView[]> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`utopia.chaos-run=${runLabel}`] }));
  const parsed: unknown = JSON.parse(
    await dockerCall(socket, 'GET', `/containers/json?all=1&filters=${filters}`),
  );
  return rowsOf(DockerContainerSchema, parsed).map((c) => ({
    id: c.Id,
    claimId: c.Labels['utopia.claim_id'] ?? '',
    nodeId: c.Labels['utopia.node_id'] ?? '',
    host: c.Labels['utopia.chaos-node'] ?? '',
    gpuIds: parseIds(c.Labels['utopia.gpu_ids']),
    running: c.State === 'running' || c.State === 'paused' || c.State === 'restarting',
  }));
}

/**
 * REREAD_RVS is used to read the change log again from a little below the highest rv seen: rv is
 * an auto-increment, handed out at insert and visible at commit, so a row can appear after rows
 * with higher rvs (seen in a 25-minute run: a claim's Scheduled row came after a later claim's).
 */
const REREAD_RVS = 500;

/** createObserver is used to read snapshots; it remembers which change-log rows it returned. */
export function createObserver(db: Pool, socket: string, runLabel: string) {
  let lastRv = 0;
  const seen = new Set<number>();
  const query = async (sql: string, params: unknown[] = []): Promise<unknown> => {
    const [rows] = await db.query(sql, params);
    return rows;
  };
  return {
    async read(): Promise<Snapshot> {
      const readFrom = Date.now();
      // Docker first, then the database: a container created in between then has its claim row.
      const containers = await readContainers(socket, runLabel);
      const changes = rowsOf(
        ChangeRowSchema,
        await query(
          "SELECT rv, object_id, object_version, type, object, lease_generation FROM resource_changes WHERE kind = 'GpuClaim' AND rv > ? ORDER BY rv",
          [Math.max(0, lastRv - REREAD_RVS)],
        ),
      )
        .filter((r) => !seen.has(r.rv))
        .map((r) => {
          const obj: unknown = r.type === 'DELETED' ? undefined : JSON.parse(r.object);
          const phase = Value.Check(ClaimObjectSchema, obj) ? obj.status.phase : undefined;
          return {
            rv: r.rv,
            claimId: r.object_id,
            version: r.object_version,
            type: r.type,
            phase,
            leaseGeneration: r.lease_generation,
          };
        });
      const claimRows = rowsOf(
        ClaimRowSchema,
        await query(
          'SELECT id, phase, node_id, gpu_ids, container_id, reason, deletion_requested_at FROM gpu_claims',
        ),
      );
      const nodeRows = rowsOf(NodeRowSchema, await query('SELECT id, hostname, status FROM nodes'));
      for (const c of changes) {
        seen.add(c.rv);
        lastRv = Math.max(lastRv, c.rv);
      }
      for (const rv of seen) if (rv < lastRv - 2 * REREAD_RVS) seen.delete(rv);
      return {
        at: Date.now(),
        readFrom,
        containers,
        changes,
        claims: new Map(
          claimRows.map((r) => [
            r.id,
            {
              id: r.id,
              phase: r.phase,
              nodeId: r.node_id,
              gpuIds: parseIds(r.gpu_ids),
              containerId: r.container_id,
              reason: r.reason,
              deleting: r.deletion_requested_at !== null,
            },
          ]),
        ),
        nodes: new Map(nodeRows.map((n) => [n.id, { hostname: n.hostname, status: n.status }])),
      };
    },
  };
}
