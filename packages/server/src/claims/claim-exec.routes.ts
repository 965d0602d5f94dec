import { Type } from '@sinclair/typebox';
import {
  EXEC_PROTOCOLS,
  ExecChannel,
  ExecQuery,
  exitCodeOf,
  IdParams,
  type ExecQuery as ExecQueryType,
} from '@utopia/shared';
import type { FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import { AgentCallError } from '../agent-client/agent-client.js';
import { currentUser } from '../auth/access.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { AppContext, RoutesPlugin } from '../context.js';
import { isoAt } from '../db/time.js';
import { Errors } from '../errors.js';
import { recordEvent } from '../events/events.repository.js';
import { errors } from '../http/responses.js';
import { refuseWithoutUpgrade } from '../http/websocket.js';
import { closeWith, pipeWebSockets, WsCloseCode } from '../http/websocket-pipe.js';
import { findClaim } from './claims.repository.js';
import {
  agentStreamError,
  findClaimOnNode,
  noContainer,
  watchClaimGone,
  type ClaimOnNode,
} from './claim-streams.js';

const SwitchingProtocols = Type.Unsafe<never>({
  description:
    'Switching Protocols: a WebSocket in v5.channel.k8s.io (or v4) framing, docs/api.md "Exec"',
});

/** offersExecProtocol is used to check Sec-WebSocket-Protocol before the upgrade. */
function offersExecProtocol(header: string | undefined): boolean {
  const offered = (header ?? '').split(',').map((p) => p.trim());
  return offered.some((p) => EXEC_PROTOCOLS.includes(p));
}

/**
 * claimExecRoutes is used to run a command in a claim's container over a WebSocket: the
 * server checks the caller, then joins the client's socket to one it opens to the agent, which
 * speaks the same framing; the exit status on channel 3 is read on the way for the claim's
 * events.
 */
export const claimExecRoutes: RoutesPlugin = async (app, { ctx }) => {
  const found = new WeakMap<FastifyRequest, { p: UserPrincipal; on: ClaimOnNode }>();

  app.route({
    method: 'GET',
    url: '/api/gpu-claims/:id/exec',
    config: { access: 'user' },
    schema: {
      tags: ['claims'],
      summary: "Run a command in a claim's container (WebSocket, Kubernetes' exec protocol)",
      description:
        'Upgrade to a WebSocket with subprotocol v5.channel.k8s.io (or v4.channel.k8s.io): each message starts with its channel byte, 0 stdin, 1 stdout, 2 stderr, 3 status (metav1.Status JSON with the exit code), 4 resize ({"Width","Height"}), 255 close (v5). See docs/api.md, "Exec". Without an upgrade: 426. 404 NO_CONTAINER: the claim has no running container.',
      params: IdParams,
      querystring: ExecQuery,
      response: { 101: SwitchingProtocols, ...errors(400, 401, 403, 404, 426, 503) },
    },
    // Every refusal is an HTTP status, before anything is upgraded.
    preHandler: async (request) => {
      const p = currentUser(request);
      const on = await findClaimOnNode(ctx, p, request.params.id);
      if (!request.ws) return; // the handler answers 426
      if (!offersExecProtocol(request.headers['sec-websocket-protocol']))
        throw Errors.validation(`Sec-WebSocket-Protocol must offer ${EXEC_PROTOCOLS.join(' or ')}`);
      const info = await ctx.agentClient.getContainer(on.target, on.containerRef).catch((e) => {
        throw e instanceof AgentCallError ? agentStreamError(on.claim, e) : e;
      });
      if (info?.status !== 'running') throw noContainer(on.claim, 'running container');
      found.set(request, { p, on });
    },
    handler: refuseWithoutUpgrade,
    wsHandler: async (socket, request) => {
      // Frames the client sends before the agent's socket is open wait in the kernel, not lost.
      socket.pause();
      const ready = found.get(request);
      if (!ready || !EXEC_PROTOCOLS.includes(socket.protocol)) {
        closeWith(socket, 1002, `subprotocol must be ${EXEC_PROTOCOLS.join(' or ')}`);
        return;
      }
      await runExec(ctx, socket, ready.p, ready.on, request.query);
    },
  });
};

async function runExec(
  ctx: AppContext,
  socket: WebSocket,
  p: UserPrincipal,
  on: ClaimOnNode,
  q: ExecQueryType,
): Promise<void> {
  const command = describeCommand(q.command, q.tty ?? false);
  await record(ctx, on.claim.id, 'ExecStarted', `${p.username} started ${command}`);
  let agent: WebSocket;
  try {
    agent = await ctx.agentClient.openWebSocket(on.target, agentExecPath(on.containerRef, q));
  } catch (e) {
    closeWith(socket, WsCloseCode.InternalError, e instanceof Error ? e.message : String(e));
    await record(ctx, on.claim.id, 'ExecFailed', `${command} by ${p.username} could not start`);
    return;
  }
  let exitCode: number | null = null;
  agent.on('message', (data: RawData) => {
    const frame = Buffer.isBuffer(data) ? data : Buffer.from(String(data));
    if (frame[0] !== ExecChannel.Status) return;
    try {
      exitCode = exitCodeOf(JSON.parse(frame.subarray(1).toString('utf8')));
    } catch {
      exitCode = null;
    }
  });
  const stopWatch = watchClaimGone(ctx, on.claim.id, () => {
    closeWith(socket, WsCloseCode.ClaimGone, 'the claim was deleted');
    closeWith(agent, WsCloseCode.ClaimGone, 'the claim was deleted');
  });
  // The finish is recorded before the user's socket closes: who saw the close sees the event.
  const piped = pipeWebSockets(socket, agent, {
    beforeClosingOther: async (end) => {
      stopWatch();
      const outcome =
        exitCode === null
          ? `ended without an exit code (close ${end.code})`
          : `exit code ${exitCode}`;
      await record(ctx, on.claim.id, 'ExecFinished', `${command} by ${p.username}: ${outcome}`);
    },
  });
  socket.resume();
  await piped;
}

function agentExecPath(containerRef: string, q: ExecQueryType): string {
  const params = new URLSearchParams();
  for (const part of q.command) params.append('command', part);
  for (const key of ['stdin', 'stdout', 'stderr', 'tty'] as const) {
    const value = q[key];
    if (value !== undefined) params.set(key, String(value));
  }
  return `/api/v1/containers/${encodeURIComponent(containerRef)}/exec?${params.toString()}`;
}

/** describeCommand is used in events: the argv as JSON (cut short), and whether it had a TTY. */
function describeCommand(command: readonly string[], tty: boolean): string {
  const argv = JSON.stringify(command);
  const cut = argv.length > 300 ? `${argv.slice(0, 300)}…` : argv;
  return `exec ${cut}${tty ? ' (tty)' : ''}`;
}

async function record(
  ctx: AppContext,
  claimId: string,
  reason: string,
  message: string,
): Promise<void> {
  // A claim deleted meanwhile has no history to add to (its events are gone with it).
  if (!(await findClaim(ctx.db.kysely, claimId))) return;
  await recordEvent(ctx.db.kysely, {
    kind: 'GpuClaim',
    objectId: claimId,
    type: 'Normal',
    reason,
    message,
    at: isoAt(ctx.clock.now()),
  }).catch(() => undefined);
}
