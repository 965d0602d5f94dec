import type { AgentContainerInfo } from '@utopia/shared';
import type { Kysely } from 'kysely';
import type { AgentClient } from '../agent-client/agent-client.js';
import { findClaimPlacements, type ClaimPlacement } from '../claims/claims.repository.js';
import type { Database, NodeRow } from '../db/schema.js';
import { agentTargetOf } from '../nodes/node-records.js';
import { isAliveStatus } from './claim-decide.js';

interface SweepDeps {
  db: Kysely<Database>;
  agents: AgentClient;
  agentTokenKey: string;
  onClaimChanged(claimId: string): void;
  log: (msg: string, extra?: object) => void;
}

/** SweepPlan is used for what one node's container list calls for. */
export interface SweepPlan {
  /** Containers no claim bound here owns, as of the round's read: orphans once a fresh read agrees. */
  suspects: AgentContainerInfo[];
  /** Running claims whose container has stopped or is gone: their reconcile looks at once. */
  wake: string[];
}

/**
 * planSweep is used to compare a node's containers, as listed at `listedAt`, with the claims
 * bound to it (read once per poll round, after the lists, so possibly newer than one). It decides
 * nothing it cannot take back: a container is only a suspect (removed after a fresh read), and
 * waking a claim only makes its reconcile look. This is how a Running claim's container is
 * watched: by the node's poll, every few seconds, not by a call per claim. A claim written since
 * the list was asked for (most often: it just became Running, on a container the list predates)
 * is left to the next round; waking each of those would be a burst of reconciles per round.
 */
export function planSweep(
  containers: readonly AgentContainerInfo[],
  boundHere: readonly ClaimPlacement[],
  listedAt: string,
): SweepPlan {
  const bound = new Map(boundHere.map((c) => [c.id, c]));
  const listed = new Map(containers.map((c) => [c.id, c]));
  const suspects = containers.filter((c) => !bound.has(c.claim_id));
  const wake: string[] = [];
  for (const claim of boundHere) {
    if (claim.container_id === null || claim.updated_at >= listedAt) continue;
    if (containerStopped(claim, listed.get(claim.container_id))) wake.push(claim.id);
  }
  return { suspects, wake };
}

/** containerStopped is used for a claim and its own container as listed (undefined: not listed). */
function containerStopped(
  claim: ClaimPlacement,
  container: AgentContainerInfo | undefined,
): boolean {
  return claim.phase === 'Running' && (!container || !isAliveStatus(container.status));
}

/**
 * sweepNodeContainers is used after each successful poll of a node: it wakes Running claims whose
 * container stopped or vanished, and removes containers that no claim on this node owns any more
 * (the claim was deleted, or moved while the node was away), once a fresh read confirms it.
 */
export async function sweepNodeContainers(
  deps: SweepDeps,
  node: NodeRow,
  containers: readonly AgentContainerInfo[],
  listedAt: string,
  boundHere: readonly ClaimPlacement[],
): Promise<void> {
  const plan = planSweep(containers, boundHere, listedAt);
  plan.wake.forEach((id) => deps.onClaimChanged(id));
  if (plan.suspects.length === 0) return;
  const ids = [...new Set(plan.suspects.map((c) => c.claim_id))];
  const byId = new Map((await findClaimPlacements(deps.db, ids)).map((c) => [c.id, c]));
  const target = agentTargetOf(node, deps.agentTokenKey);
  if (!target) return;
  for (const c of plan.suspects) {
    const claim = byId.get(c.claim_id);
    if (claim?.node_id === node.id) {
      // Bound here since the round's read: a Running one is watched as above.
      if (claim.container_id === c.id && containerStopped(claim, c)) deps.onClaimChanged(claim.id);
      continue;
    }
    deps.log(
      `removing orphan container ${c.id.slice(0, 12)} of claim ${c.claim_id} from node ${node.hostname}`,
    );
    await deps.agents.deleteContainer(target, c.id).catch(() => undefined);
  }
}
