import {
  ClaimList,
  CreateClaimRequest,
  GpuClaim,
  IdParams,
  ListClaimsQuery,
  WatchHeaders,
  WatchQuery,
} from '@utopia/shared';
import type { FastifyRequest } from 'fastify';
import { currentUser } from '../auth/access.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { RoutesPlugin } from '../context.js';
import type { ClaimRow } from '../db/schema.js';
import { Errors } from '../errors.js';
import { listEvents } from '../events/events.repository.js';
import { errors, orEventStream } from '../http/responses.js';
import { findUserByUsername } from '../users/users.repository.js';
import { parseStringMap, toClaim } from './claim-view.js';
import { wantsWatch } from '../watch/watch.service.js';
import { claimWatchSource } from './claim-watch.js';
import {
  decodeCursor,
  encodeCursor,
  hasLabel,
  parseLabelSelector,
  selectClaims,
  type ClaimFilter,
} from './claims.queries.js';
import { createClaim, requestClaimDeletion } from './claims.service.js';

// Fields a container runtime knows and Utopia refuses on purpose, with the reason in the error.
const FORBIDDEN_SPEC_FIELDS: Record<string, string> = {
  mounts: 'use volumes (named volumes) or hostPaths (paths the node allows)',
  binds: 'use volumes (named volumes) or hostPaths (paths the node allows)',
  privileged: 'privileged containers are not allowed',
  capAdd: 'extra capabilities are not allowed',
  devices: 'devices are assigned by Utopia (GPUs via resources.gpuCount)',
  networkMode: 'the network mode is set by the node',
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** normalizeCreateBody is used to accept the original design's bare spec `{ image, resources }`. */
async function normalizeCreateBody(request: FastifyRequest): Promise<void> {
  const body = request.body;
  if (!isObject(body)) return;
  const spec =
    'spec' in body ? body.spec : 'image' in body || 'resources' in body ? body : undefined;
  if ('image' in body && !('spec' in body)) request.body = { spec: body };
  if (!isObject(spec)) return;
  for (const [field, why] of Object.entries(FORBIDDEN_SPEC_FIELDS)) {
    if (field in spec)
      throw Errors.validation(`spec.${field}: ${why}`, [{ field: `spec.${field}`, message: why }]);
  }
}

function visibleTo(p: UserPrincipal): (c: ClaimRow) => boolean {
  return (c) => p.role === 'admin' || c.owner_id === p.userId;
}

/** claimRoutes is used to create, list, inspect and delete GPU claims. */
export const claimRoutes: RoutesPlugin = async (app, { ctx }) => {
  const db = ctx.db.kysely;

  async function claimView(id: string, p: UserPrincipal): Promise<GpuClaim> {
    const filter: ClaimFilter = p.role === 'admin' ? { id } : { id, ownerId: p.userId };
    const [row] = await selectClaims(db, filter, 1);
    if (!row) throw Errors.notFound('claim', id);
    return toClaim(row, await listEvents(db, 'GpuClaim', id));
  }

  app.post(
    '/api/gpu-claims',
    {
      config: { access: 'user' },
      preValidation: normalizeCreateBody,
      schema: {
        tags: ['claims'],
        summary: 'Claim GPUs: a container from an image with N GPUs',
        description:
          'The body is `{ name?, spec }`; the bare spec `{ image, resources: { gpuCount } }` is accepted too.',
        body: CreateClaimRequest,
        response: { 201: GpuClaim, ...errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const p = currentUser(request);
      const claim = await createClaim(ctx.db, ctx.claimInserts, ctx.clock, p, request.body);
      ctx.signals.claimChanged(claim.id);
      return reply.status(201).header('location', `/api/gpu-claims/${claim.id}`).send(claim);
    },
  );

  app.get(
    '/api/gpu-claims',
    {
      config: { access: 'user' },
      schema: {
        tags: ['claims'],
        summary: 'List claims (yours; admins see all), newest first; or watch them (watch=1)',
        description:
          '`label=key=value` keeps the claims with that label. With `watch=1` the answer is a text/event-stream of the list and then every change (docs/api.md, "Watch"); `owner=` is the only filter it takes.',
        querystring: ListClaimsQuery,
        headers: WatchHeaders,
        response: { 200: orEventStream(ClaimList), ...errors(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const p = currentUser(request);
      const q = request.query;
      if (p.role !== 'admin' && q.owner !== undefined && q.owner !== p.username) {
        throw Errors.forbidden("only admins may list other users' claims");
      }
      if (wantsWatch(q)) {
        // A stream has no pages (limit is ignored) and no filter on what changes (phase, node).
        const unsupported = (['phase', 'node', 'name', 'cursor', 'label'] as const).filter(
          (k) => q[k] !== undefined,
        );
        if (unsupported.length > 0)
          throw Errors.validation(
            `${unsupported.join(', ')} cannot be used with watch=1 (owner= can)`,
            unsupported.map((k) => ({ field: `querystring.${k}`, message: 'is not for watch' })),
          );
        // An owner name that matches nobody watches nothing, as the list would show nothing.
        const ownerId =
          p.role !== 'admin'
            ? p.userId
            : q.owner === undefined
              ? undefined
              : ((await findUserByUsername(db, q.owner))?.id ?? '');
        const source = claimWatchSource(db, ownerId === undefined ? {} : { ownerId });
        ctx.watch.serve(request, reply, p, source, q.resourceVersion);
        return;
      }
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const label = q.label === undefined ? undefined : parseLabelSelector(q.label);
      const filter: ClaimFilter = {
        ...(p.role === 'admin' ? {} : { ownerId: p.userId }),
        ...(q.owner === undefined ? {} : { ownerName: q.owner }),
        ...(q.phase === undefined ? {} : { phase: q.phase }),
        ...(q.name === undefined ? {} : { name: q.name }),
        ...(q.node === undefined ? {} : { nodeId: q.node }),
        ...(label === undefined ? {} : { label }),
      };
      const limit = q.limit ?? 100;
      const rows = await selectClaims(db, filter, limit + 1, after);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const nextCursor =
        rows.length > limit && last
          ? encodeCursor({ createdAt: last.created_at, id: last.id })
          : null;
      // The query may let through a label that differs in case only (MySQL's LIKE): drop it
      // here; the page may then be short, and the cursor still counts every row it passed.
      const shown = label ? page.filter((r) => hasLabel(parseStringMap(r.labels), label)) : page;
      return { items: shown.map((r) => toClaim(r)), nextCursor };
    },
  );

  app.get(
    '/api/gpu-claims/:id',
    {
      config: { access: 'user' },
      schema: {
        tags: ['claims'],
        summary: 'Get a claim with its events (like kubectl describe); or watch it (watch=1)',
        description:
          'With `watch=1`: a text/event-stream of the claim and each change to it, ending after it is deleted (docs/api.md, "Watch").',
        params: IdParams,
        querystring: WatchQuery,
        headers: WatchHeaders,
        response: { 200: orEventStream(GpuClaim), ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const p = currentUser(request);
      const view = await claimView(request.params.id, p);
      if (!wantsWatch(request.query)) return view;
      const ownerId = p.role === 'admin' ? undefined : p.userId;
      const source = claimWatchSource(db, { id: view.id, ...(ownerId ? { ownerId } : {}) });
      ctx.watch.serve(request, reply, p, source, request.query.resourceVersion);
    },
  );

  app.delete(
    '/api/gpu-claims/:id',
    {
      config: { access: 'user' },
      schema: {
        tags: ['claims'],
        summary:
          'Delete a claim: it goes Terminating, its container is removed, its GPUs freed, then it disappears',
        params: IdParams,
        response: { 202: GpuClaim, ...errors(401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const p = currentUser(request);
      await requestClaimDeletion(ctx.db, ctx.clock, request.params.id, visibleTo(p));
      const view = await claimView(request.params.id, p);
      ctx.signals.claimChanged(request.params.id);
      return reply.status(202).send(view);
    },
  );
};
