import { isWatch, type WatchQuery } from '@utopia/shared';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../auth/authenticate.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { WatchConfig } from '../config/config.js';
import type { Db } from '../db/database.js';
import { Errors } from '../errors.js';
import { createChangeFeed, type ChangeFeed } from './change-feed.js';
import { startCompactor, type Compactor } from './change-compactor.js';
import { openSse, type SseWriter } from './sse-writer.js';
import { runWatch, type WatchSource } from './watch-session.js';

/** WatchService is used by the claim and node routes to serve `?watch=1` streams. */
export interface WatchService {
  readonly feed: ChangeFeed;
  start(): Promise<void>;
  /** closeStreams is used when the server closes: every open stream ends. */
  closeStreams(): Promise<void>;
  stop(): Promise<void>;
  /** compactNow is used by tests to compact the change log at once. */
  compactNow(): Promise<number>;
  /** openStreams is used to count the streams this replica serves now. */
  openStreams(): number;
  /**
   * serve is used by a route handler, after its access checks, to turn the reply into a stream
   * (the handler then returns nothing: the reply is hijacked).
   */
  serve(
    request: FastifyRequest,
    reply: FastifyReply,
    principal: UserPrincipal,
    source: WatchSource,
    resourceVersion: string | undefined,
  ): void;
}

/** WatchServiceDeps is used to build the watch service from the server's parts. */
export interface WatchServiceDeps {
  db: Db;
  config: WatchConfig;
  authenticate: Authenticator;
  log: (msg: string, extra?: Record<string, unknown>) => void;
}

const VERSION = /^[0-9]{1,15}$/;

/**
 * wantsWatch is used by routes to read `?watch=`. Without it a resourceVersion is ignored: as in
 * Kubernetes, a plain read at "this version or newer" is answered with the current state.
 */
export function wantsWatch(q: WatchQuery): boolean {
  return isWatch(q.watch);
}

/**
 * resumePoint is used to read where a client resumes: the Last-Event-ID header (what a browser's
 * EventSource sends on reconnect, so it wins) or ?resourceVersion=. Bad input is a 400 before
 * the stream starts.
 */
function resumePoint(request: FastifyRequest, query: string | undefined): number | undefined {
  const header = request.headers['last-event-id'];
  const value = (Array.isArray(header) ? header[0] : header) || query;
  if (value === undefined || value === '') return undefined;
  if (!VERSION.test(value))
    throw Errors.validation('Last-Event-ID must be a resource version (digits) from this server', [
      { field: 'headers.last-event-id', message: 'must be a resource version' },
    ]);
  return Number(value);
}

/** createWatchService is used once per server. */
export function createWatchService(deps: WatchServiceDeps): WatchService {
  let compactor: Compactor | undefined;
  const open = new Map<SseWriter, Promise<void>>();
  const feed = createChangeFeed(deps.db, {
    pollMs: deps.config.pollMs,
    settleMs: deps.config.settleMs,
    isWatched: () => open.size > 0,
    log: deps.log,
  });

  return {
    feed,
    async start() {
      await feed.start();
      compactor = startCompactor(deps.db.kysely, {
        retentionMs: deps.config.retentionSeconds * 1000,
        maxRows: deps.config.maxChanges,
        log: deps.log,
      });
    },
    async closeStreams() {
      const sessions = [...open.values()];
      for (const w of open.keys()) w.close();
      await Promise.allSettled(sessions);
    },
    async stop() {
      await compactor?.stop();
      await feed.stop();
    },
    compactNow: () => (compactor ? compactor.compactNow() : Promise.resolve(0)),
    openStreams: () => open.size,
    serve(request, reply, principal, source, resourceVersion) {
      const resumeFrom = resumePoint(request, resourceVersion);
      reply.hijack();
      const w = openSse(reply.raw, { stallMs: deps.config.stallMs });
      if (request.method === 'HEAD') {
        w.close();
        return;
      }
      const stillAllowed = async (): Promise<boolean> => {
        const now = await deps.authenticate(request.headers.authorization);
        return (
          now?.kind === 'user' && now.userId === principal.userId && now.role === principal.role
        );
      };
      // Every stream ends in time, as Kubernetes' watches do: the client resumes where it was.
      const timer = setTimeout(() => w.close(), deps.config.maxMs);
      const session = runWatch(
        w,
        { db: deps.db.kysely, feed, heartbeatMs: deps.config.heartbeatMs, stillAllowed },
        source,
        resumeFrom,
      )
        .catch((e: unknown) => request.log.error({ err: e }, 'watch stream failed'))
        .finally(() => {
          clearTimeout(timer);
          w.close();
          open.delete(w);
        });
      open.set(w, session);
    },
  };
}
