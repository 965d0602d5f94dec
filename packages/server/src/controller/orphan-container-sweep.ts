import type { AgentContainerInfo } from '@utopia/shared';
import type { Kysely } from 'kysely';
import type { AgentClient } from '../agent-client/agent-client.js';
import { findClaimPlacements } from '../claims/claims.repository.js';
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

/**
 * sweepOrphanContainers is used after each successful poll of a node: it removes containers that no
 * claim on this node owns any more (the claim was deleted, or moved while the node was away), and
 * wakes the controller for Running claims whose container is no longer running.
 */
export async function sweepOrphanContainers(
  deps: SweepDeps,
  node: NodeRow,
  containers: readonly AgentContainerInfo[],
): Promise<void> {
  if (containers.length === 0) return;
  const ids = [...new Set(containers.map((c) => c.claim_id))];
  const claims = await findClaimPlacements(deps.db, ids);
  const byId = new Map(claims.map((c) => [c.id, c]));
  const target = agentTargetOf(node, deps.agentTokenKey);
  if (!target) return;
  for (const c of containers) {
    const claim = byId.get(c.claim_id);
    if (!claim || claim.node_id !== node.id) {
      deps.log(
        `removing orphan container ${c.id.slice(0, 12)} of claim ${c.claim_id} from node ${node.hostname}`,
      );
      await deps.agents.deleteContainer(target, c.id).catch(() => undefined);
      continue;
    }
    if (claim.phase === 'Running' && claim.container_id === c.id && !isAliveStatus(c.status))
      deps.onClaimChanged(claim.id);
  }
}
