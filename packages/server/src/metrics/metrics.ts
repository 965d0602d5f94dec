import type { Kysely } from 'kysely';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { countClaimsByPhase, countReservationsByNode } from '../claims/claims.repository.js';
import type { Database } from '../db/schema.js';
import { parseGpus } from '../nodes/node-records.js';
import { listNodes } from '../nodes/nodes.repository.js';

/** ControllerMetrics is used by the controller to record its work. */
export interface ControllerMetrics {
  reconcileSeconds: Histogram<string>;
  reconcileErrors: Counter<'kind'>;
  schedulingSeconds: Histogram<string>;
  /** 1 on the replica whose controller runs (holds the lease), 0 on the others. */
  leader: Gauge<string>;
  /** Writes and actions a replica refused itself because its lease term was over. */
  fencedRefusals: Counter<string>;
}

/** ServerMetrics is used to serve /metrics: one registry per server (tests start many). */
export interface ServerMetrics extends ControllerMetrics {
  registry: Registry;
}

const PHASES = ['Pending', 'Scheduled', 'Running', 'Succeeded', 'Failed', 'Terminating'] as const;

/**
 * createServerMetrics is used once per server. Claim and GPU gauges are read from the database
 * when scraped, so they are right on every replica and cost nothing between scrapes.
 */
export function createServerMetrics(db: Kysely<Database>): ServerMetrics {
  const registry = new Registry();
  const reconcileSeconds = new Histogram({
    name: 'utopia_reconcile_duration_seconds',
    help: 'Time to reconcile one claim',
    buckets: [0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const reconcileErrors = new Counter({
    name: 'utopia_reconcile_errors_total',
    help: 'Reconciles that failed and will be retried',
    labelNames: ['kind'],
    registers: [registry],
  });
  const schedulingSeconds = new Histogram({
    name: 'utopia_scheduling_duration_seconds',
    help: 'Time to read the cluster and choose a node for one claim',
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'utopia_controller_leader',
    help: '1 when this replica holds the controller lease and runs the controller',
    registers: [registry],
  });
  const fencedRefusals = new Counter({
    name: 'utopia_controller_fenced_refusals_total',
    help: 'Controller writes or actions refused because this replica no longer held the lease',
    registers: [registry],
  });
  new Gauge({
    name: 'utopia_claims',
    help: 'Claims by phase',
    labelNames: ['phase'],
    registers: [registry],
    async collect() {
      const counts = await countClaimsByPhase(db);
      for (const phase of PHASES) this.set({ phase }, counts.get(phase) ?? 0);
    },
  });
  const gpusReserved = new Gauge({
    name: 'utopia_node_gpus_reserved',
    help: 'GPUs reserved by claims, per node',
    labelNames: ['node', 'hostname'],
    registers: [registry],
  });
  new Gauge({
    name: 'utopia_node_gpus',
    help: 'GPUs per node',
    labelNames: ['node', 'hostname'],
    registers: [registry],
    async collect() {
      const [nodes, byNode] = await Promise.all([listNodes(db), countReservationsByNode(db)]);
      this.reset();
      gpusReserved.reset();
      for (const n of nodes) {
        this.set({ node: n.id, hostname: n.hostname }, parseGpus(n).length);
        gpusReserved.set({ node: n.id, hostname: n.hostname }, byNode.get(n.id) ?? 0);
      }
    },
  });
  return {
    registry,
    reconcileSeconds,
    reconcileErrors,
    schedulingSeconds,
    leader,
    fencedRefusals,
  };
}
