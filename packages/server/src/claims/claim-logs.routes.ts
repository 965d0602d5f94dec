import { IdParams, LogsQuery, type AgentLogsQuery } from '@utopia/shared';
import { Type } from '@sinclair/typebox';
import { PassThrough, type Readable } from 'node:stream';
import { AgentCallError } from '../agent-client/agent-client.js';
import { currentUser } from '../auth/access.js';
import type { RoutesPlugin } from '../context.js';
import { Errors } from '../errors.js';
import { errors } from '../http/responses.js';
import { agentStreamError, findClaimOnNode, watchClaimGone } from './claim-streams.js';

// Typed as the stream it is sent as; published as text/plain.
const LogText = Type.Unsafe<Readable>({
  description:
    "The container's output as text/plain, stdout and stderr merged in the order written (like kubectl logs)",
  content: { 'text/plain': { schema: { type: 'string' } } },
});

/** toAgentQuery is used to turn the public query into the agent's (since as unix seconds). */
export function toAgentQuery(q: LogsQuery, nowMs: number): AgentLogsQuery {
  let since: number | undefined;
  if (q.since !== undefined) {
    const ms = /^[0-9]+$/.test(q.since) ? nowMs - Number(q.since) * 1000 : Date.parse(q.since);
    if (!Number.isFinite(ms))
      throw Errors.validation(`since: ${q.since} is not a time`, [
        { field: 'querystring.since', message: 'must be an RFC 3339 time or seconds' },
      ]);
    since = Math.max(0, ms / 1000);
  }
  return {
    ...(q.tail === undefined ? {} : { tail: q.tail }),
    ...(q.follow === undefined ? {} : { follow: q.follow }),
    ...(since === undefined ? {} : { since }),
    ...(q.timestamps === undefined ? {} : { timestamps: q.timestamps }),
    ...(q.previous === undefined ? {} : { previous: q.previous }),
  };
}

/**
 * claimLogsRoutes is used to stream a claim container's output from its agent. The agent's
 * answer is piped, never collected: memory stays bounded however fast the container writes.
 */
export const claimLogsRoutes: RoutesPlugin = async (app, { ctx }) => {
  // Followed logs never end by themselves: end them when the server closes.
  const open = new Set<PassThrough>();
  app.addHook('preClose', async () => {
    for (const out of open) out.end();
  });

  app.get(
    '/api/gpu-claims/:id/logs',
    {
      config: { access: 'user' },
      schema: {
        tags: ['claims'],
        summary: "Read (or follow) a claim container's output",
        description:
          'text/plain, stdout and stderr merged (docs/api.md, "Logs"). With `follow` the answer streams until the container stops, the claim is deleted or the client hangs up. 404 NO_CONTAINER: the claim has no container (yet), or no previous run.',
        params: IdParams,
        querystring: LogsQuery,
        response: { 200: LogText, ...errors(400, 401, 403, 404, 503) },
      },
    },
    async (request, reply) => {
      const p = currentUser(request);
      const { claim, target, containerRef } = await findClaimOnNode(ctx, p, request.params.id);
      const query = toAgentQuery(request.query, ctx.clock.now());
      const abort = new AbortController();
      let body: Readable;
      try {
        body = await ctx.agentClient.streamLogs(target, containerRef, query, abort.signal);
      } catch (e) {
        if (!(e instanceof AgentCallError)) throw e;
        throw agentStreamError(claim, e, query.previous ? "previous run's log" : undefined);
      }
      const out = new PassThrough();
      const stopWatch = watchClaimGone(ctx, claim.id, () => out.end());
      // The agent's stream ending or failing ends ours: the status (200) is already sent.
      body.on('error', () => out.end());
      body.pipe(out);
      open.add(out);
      const cleanup = (): void => {
        stopWatch();
        open.delete(out);
        body.unpipe(out);
        abort.abort();
      };
      out.on('finish', cleanup);
      out.on('close', cleanup);
      reply.raw.on('close', () => {
        cleanup();
        out.destroy();
      });
      return reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(out);
    },
  );
};
