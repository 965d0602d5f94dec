import type { AgentCreateContainerRequest } from '@utopia/shared';
import type { Kysely } from 'kysely';
import { AgentCallError, type AgentClient } from '../agent-client/agent-client.js';
import {
  applyTransition,
  backToPendingUpdate,
  StaleClaimError,
  type TransitionEvent,
} from '../claims/claim-transitions.js';
import { parseSpec } from '../claims/claim-view.js';
import {
  findClaim,
  formatGpuIds,
  parseGpuIds,
  releaseGpus,
  reserveGpus,
  type ClaimUpdate,
} from '../claims/claims.repository.js';
import { isUniqueViolation } from '../db/database.js';
import type { ClaimRow, Database, NodeRow } from '../db/schema.js';
import { isoAt, type Clock } from '../db/time.js';
import { deleteEvents } from '../events/events.repository.js';
import { agentTargetOf } from '../nodes/node-records.js';
import { findNode } from '../nodes/nodes.repository.js';
import { schedule, type SchedulingPolicy } from '../scheduler/index.js';
import { readClusterSnapshot } from './cluster-snapshot.js';
import type { ReconcileResult } from './queue-process.js';
import type { ControllerMetrics } from '../metrics/metrics.js';

/** ReconcilerDeps is used to give the claim reconciler its I/O. */
export interface ReconcilerDeps {
  db: Kysely<Database>;
  clock: Clock;
  agents: AgentClient;
  agentTokenKey: string;
  policy: SchedulingPolicy;
  runningCheckMs: number;
  restartBackoffMs: number;
  metrics: ControllerMetrics;
  /** Called after a claim gave GPUs back, so pending claims get another chance at once. */
  onGpusReleased(): void;
}

const MAX_RESTART_BACKOFF_MS = 300_000;

/**
 * createClaimReconciler is used by the controller: reconcile(claimId) re-reads the claim and
 * takes the one next step towards what it asks for. It is level-triggered (it never trusts the
 * event that woke it) and idempotent (any step may run twice or be cut short by a crash).
 */
export function createClaimReconciler(
  deps: ReconcilerDeps,
): (claimId: string) => Promise<ReconcileResult> {
  const { db, clock } = deps;
  const now = (): string => isoAt(clock.now());

  async function move(
    claim: ClaimRow,
    update: ClaimUpdate,
    event: TransitionEvent | undefined,
    release = false,
  ): Promise<void> {
    await applyTransition(db, claim, update, event, now(), { releaseGpus: release });
    if (release) deps.onGpusReleased();
  }

  async function reconcile(claimId: string): Promise<ReconcileResult> {
    const claim = await findClaim(db, claimId);
    if (!claim) return {};
    if (claim.deletion_requested_at !== null) return terminate(claim);
    switch (claim.phase) {
      case 'Pending':
        return schedulePending(claim);
      case 'Scheduled':
        return startContainer(claim);
      case 'Running':
        return checkRunning(claim);
      default:
        return {};
    }
  }

  async function schedulePending(claim: ClaimRow): Promise<ReconcileResult> {
    const spec = parseSpec(claim);
    const started = performance.now();
    const { nodes, reservations } = await readClusterSnapshot(db);
    const result = schedule(
      {
        claimId: claim.id,
        gpuCount: spec.resources.gpuCount,
        ...(spec.resources.gpuModel === undefined ? {} : { gpuModel: spec.resources.gpuModel }),
        ...(spec.resources.minGpuMemoryMiB === undefined
          ? {}
          : { minGpuMemoryMiB: spec.resources.minGpuMemoryMiB }),
        ...(spec.nodeSelector === undefined ? {} : { nodeSelector: spec.nodeSelector }),
      },
      nodes,
      reservations,
      deps.policy,
    );
    deps.metrics.schedulingSeconds.observe((performance.now() - started) / 1000);
    if (!result.placed) {
      // Say why, once: rewriting the same reason on every retry would only churn the row.
      if (claim.reason !== 'Unschedulable' || claim.message !== result.reason) {
        await move(
          claim,
          { reason: 'Unschedulable', message: result.reason },
          { type: 'Warning', reason: 'FailedScheduling', message: result.reason },
        );
      }
      return {}; // woken again when nodes or reservations change, and by the resync
    }
    const node = nodes.find((n) => n.id === result.nodeId);
    const message = `bound to node ${node?.hostname ?? result.nodeId}, GPUs [${result.gpuIndices.join(', ')}]`;
    try {
      await applyTransition(
        db,
        claim,
        {
          phase: 'Scheduled',
          node_id: result.nodeId,
          gpu_ids: formatGpuIds(result.gpuIndices),
          container_id: null,
          reason: 'Scheduled',
          message,
        },
        { type: 'Normal', reason: 'Scheduled', message },
        now(),
        {
          inTransaction: async (trx) => {
            await releaseGpus(trx, claim.id);
            await reserveGpus(trx, claim.id, result.nodeId, result.gpuIndices, now());
          },
        },
      );
    } catch (e) {
      // Another claim took one of these GPUs first: the transaction rolled back; try again.
      if (isUniqueViolation(e)) throw new StaleClaimError(claim.id);
      throw e;
    }
    const bound = await findClaim(db, claim.id);
    return bound ? startContainer(bound) : {};
  }

  async function nodeOf(claim: ClaimRow): Promise<NodeRow | undefined> {
    return claim.node_id === null ? undefined : findNode(db, claim.node_id);
  }

  async function lostNode(claim: ClaimRow, node: NodeRow | undefined): Promise<ReconcileResult> {
    const why = node ? `node ${node.hostname} is Offline` : 'its node no longer exists';
    await move(
      claim,
      backToPendingUpdate('NodeLost', `${why}; rescheduling`),
      { type: 'Warning', reason: 'NodeLost', message: `${why}; GPUs released, rescheduling` },
      true,
    );
    return { requeueAfterMs: 0 };
  }

  async function startContainer(claim: ClaimRow): Promise<ReconcileResult> {
    const node = await nodeOf(claim);
    if (!node || node.status === 'Offline') return lostNode(claim, node);
    const target = agentTargetOf(node, deps.agentTokenKey);
    if (node.status !== 'Online' || !target) return { requeueAfterMs: deps.runningCheckMs };
    const spec = parseSpec(claim);
    const request: AgentCreateContainerRequest = {
      claim_id: claim.id,
      image: spec.image,
      gpu_ids: parseGpuIds(claim),
      env_vars: Object.entries(spec.env ?? {}).map(([k, v]) => `${k}=${v}`),
      port_mappings: (spec.ports ?? []).map((p) => ({
        host_port: 0,
        container_port: p.containerPort,
        protocol: p.protocol ?? 'tcp',
      })),
      ...(spec.command === undefined ? {} : { command: spec.command }),
    };
    try {
      const { containerId } = await deps.agents.createContainer(target, request);
      const message = `container ${containerId.slice(0, 12)} started on ${node.hostname}`;
      await move(
        claim,
        { phase: 'Running', container_id: containerId, reason: 'Started', message },
        { type: 'Normal', reason: 'Started', message },
      );
      return { requeueAfterMs: deps.runningCheckMs };
    } catch (e) {
      if (!(e instanceof AgentCallError)) throw e;
      if (e.permanent) {
        await move(
          claim,
          { phase: 'Failed', reason: e.reason, message: e.message },
          { type: 'Warning', reason: 'Failed', message: e.message },
          true,
        );
        return {};
      }
      if (claim.reason !== 'AgentUnavailable') {
        await move(
          claim,
          { reason: 'AgentUnavailable', message: `${e.message}; retrying` },
          { type: 'Warning', reason: 'AgentUnavailable', message: e.message },
        );
      }
      throw e; // retried with backoff
    }
  }

  async function checkRunning(claim: ClaimRow): Promise<ReconcileResult> {
    const node = await nodeOf(claim);
    if (!node || node.status === 'Offline') return lostNode(claim, node);
    const target = agentTargetOf(node, deps.agentTokenKey);
    if (node.status !== 'Online' || !target || claim.container_id === null)
      return { requeueAfterMs: deps.runningCheckMs };
    const info = await deps.agents.getContainer(target, claim.container_id);
    if (info && ['running', 'created', 'restarting', 'pulling'].includes(info.status)) {
      return { requeueAfterMs: deps.runningCheckMs };
    }
    const exitCode = info?.exit_code ?? null;
    const policy = parseSpec(claim).restartPolicy ?? 'Always';
    const what = info
      ? `container exited with code ${exitCode ?? 'unknown'}`
      : 'container disappeared';
    if (policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
      await deps.agents.deleteContainer(target, claim.container_id);
      const restarts = claim.restart_count + 1;
      const delay = Math.min(
        deps.restartBackoffMs * 2 ** Math.min(restarts - 1, 16),
        MAX_RESTART_BACKOFF_MS,
      );
      const message = `${what}; restarting in ${Math.round(delay / 100) / 10} s (restart ${restarts})`;
      await move(
        claim,
        {
          phase: 'Scheduled',
          container_id: null,
          restart_count: restarts,
          exit_code: exitCode,
          reason: 'BackOff',
          message,
        },
        { type: 'Warning', reason: 'BackOff', message },
      );
      return { requeueAfterMs: delay };
    }
    const succeeded = exitCode === 0;
    await move(
      claim,
      {
        phase: succeeded ? 'Succeeded' : 'Failed',
        exit_code: exitCode,
        reason: succeeded ? 'Completed' : 'Error',
        message: what,
      },
      {
        type: succeeded ? 'Normal' : 'Warning',
        reason: succeeded ? 'Completed' : 'Error',
        message: what,
      },
      true,
    );
    return {};
  }

  async function terminate(claim: ClaimRow): Promise<ReconcileResult> {
    const node = await nodeOf(claim);
    const target = node ? agentTargetOf(node, deps.agentTokenKey) : undefined;
    // An Offline or deleted node cannot be asked; when it comes back, the orphan sweep removes
    // whatever container is left there.
    if (node && node.status !== 'Offline' && target) {
      const mine = (await deps.agents.listContainers(target)).filter(
        (c) => c.claim_id === claim.id,
      );
      for (const c of mine) await deps.agents.deleteContainer(target, c.id);
    }
    await db.transaction().execute(async (trx) => {
      await releaseGpus(trx, claim.id);
      await deleteEvents(trx, 'GpuClaim', claim.id);
      const gone = await trx
        .deleteFrom('gpu_claims')
        .where('id', '=', claim.id)
        .where('version', '=', claim.version)
        .executeTakeFirst();
      if (gone.numDeletedRows === 0n) throw new StaleClaimError(claim.id); // rolls the release back too
    });
    deps.onGpusReleased();
    return {};
  }

  return async (claimId) => {
    const stop = deps.metrics.reconcileSeconds.startTimer();
    try {
      return await reconcile(claimId);
    } catch (e) {
      deps.metrics.reconcileErrors.inc({
        kind:
          e instanceof AgentCallError
            ? 'agent'
            : e instanceof StaleClaimError
              ? 'conflict'
              : 'other',
      });
      throw e;
    } finally {
      stop();
    }
  };
}
