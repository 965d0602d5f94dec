// What the logs and exec routes share: finding the caller's claim and the agent that runs its
// container, and ending a stream when its claim is deleted.
import type { AgentCallError, AgentTarget } from '../agent-client/agent-client.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { AppContext } from '../context.js';
import type { ClaimRow } from '../db/schema.js';
import type { AppError } from '../errors.js';
import { Errors } from '../errors.js';
import { agentTargetOf } from '../nodes/node-records.js';
import { findNode } from '../nodes/nodes.repository.js';
import { findClaim } from './claims.repository.js';

/** CLAIM_CHECK_MS is used as how often an open stream looks whether its claim was deleted. */
export const CLAIM_CHECK_MS = 1000;

/** ClaimOnNode is used to hand a stream route its claim and the agent to ask. */
export interface ClaimOnNode {
  claim: ClaimRow;
  target: AgentTarget;
  /** What the agent calls the container: the claim's label finds it after a restart too. */
  containerRef: string;
}

/**
 * findClaimOnNode is used by the stream routes: another user's claim is a 404 (as GET), a claim
 * not placed on a node yet (or being deleted) is NO_CONTAINER, an unreachable node a 503.
 */
export async function findClaimOnNode(
  ctx: AppContext,
  p: UserPrincipal,
  id: string,
): Promise<ClaimOnNode> {
  const claim = await findClaim(ctx.db.kysely, id);
  if (!claim || (p.role !== 'admin' && claim.owner_id !== p.userId))
    throw Errors.notFound('claim', id);
  if (claim.node_id === null || claim.phase === 'Pending' || claim.deletion_requested_at !== null)
    throw noContainer(claim);
  const node = await findNode(ctx.db.kysely, claim.node_id);
  const target = node ? agentTargetOf(node, ctx.agentTokenKey) : undefined;
  if (!target) throw Errors.unavailable(`the node of claim ${id} cannot be reached now`);
  return { claim, target, containerRef: `claim:${claim.id}` };
}

/** noContainer is used when there is no container to read from or run in. */
export function noContainer(claim: Pick<ClaimRow, 'id' | 'phase'>, what = 'a container'): AppError {
  return Errors.noContainer(`claim ${claim.id} has no ${what} (phase ${claim.phase})`);
}

/** agentStreamError is used to turn an agent's refusal to stream into the API's error. */
export function agentStreamError(
  claim: Pick<ClaimRow, 'id' | 'phase'>,
  e: AgentCallError,
  what?: string,
): AppError {
  if (e.status === 404) return noContainer(claim, what);
  if (e.status === 400) return Errors.validation(e.message);
  return Errors.unavailable(`the agent could not serve this now: ${e.message}`);
}

/**
 * watchClaimGone is used by every open stream: it calls `onGone` once the claim is deleted (or
 * its deletion was asked), looking every CLAIM_CHECK_MS. Polling the database, not this
 * process's memory, works on every replica. Returns the function that stops the watch.
 */
export function watchClaimGone(
  ctx: AppContext,
  claimId: string,
  onGone: () => void,
  everyMs = CLAIM_CHECK_MS,
): () => void {
  let stopped = false;
  const timer = setInterval(() => {
    findClaim(ctx.db.kysely, claimId).then(
      (claim) => {
        if (stopped || (claim && claim.deletion_requested_at === null)) return;
        stop();
        onGone();
      },
      () => undefined, // a database hiccup is no reason to cut a stream: look again next time
    );
  }, everyMs);
  timer.unref();
  const stop = (): void => {
    stopped = true;
    clearInterval(timer);
  };
  return stop;
}
