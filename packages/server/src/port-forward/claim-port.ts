import type { WebSocket } from 'ws';
import { AgentCallError } from '../agent-client/agent-client.js';
import type { UserPrincipal } from '../auth/principal.js';
import { agentStreamError, findClaimOnNode, noContainer } from '../claims/claim-streams.js';
import type { AppContext } from '../context.js';
import type { ClaimRow } from '../db/schema.js';
import { Errors } from '../errors.js';

/** OpenedPort is used to hand on one TCP connection to a claim container's port. */
export interface OpenedPort {
  claim: ClaimRow;
  /** The agent's port-forward WebSocket: binary frames are the connection's bytes. */
  upstream: WebSocket;
}

/**
 * openClaimPort is used by port-forward and the HTTP proxy: it checks the caller's right to the
 * claim (another user's is a 404), then has the claim's agent connect to `port` inside the
 * container. Every refusal is an API error before anything is upgraded.
 */
export async function openClaimPort(
  ctx: AppContext,
  p: UserPrincipal,
  claimId: string,
  port: number,
): Promise<OpenedPort> {
  const { claim, target, containerRef } = await findClaimOnNode(ctx, p, claimId);
  const path = `/api/v1/containers/${encodeURIComponent(containerRef)}/port-forward?port=${port}`;
  try {
    return { claim, upstream: await ctx.agentClient.openWebSocket(target, path) };
  } catch (e) {
    if (!(e instanceof AgentCallError)) throw e;
    if (e.reason === 'PORT_UNREACHABLE')
      throw Errors.portUnreachable(
        `nothing accepts connections on port ${port} in the container of claim ${claim.id}`,
      );
    if (e.reason === 'CONTAINER_NOT_RUNNING') throw noContainer(claim, 'running container');
    throw agentStreamError(claim, e);
  }
}
