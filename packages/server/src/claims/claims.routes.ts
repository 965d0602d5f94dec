import { ClaimList, CreateClaimRequest, GpuClaim, IdParams, ListClaimsQuery } from '@utopia/shared';
import type { FastifyRequest } from 'fastify';
import { currentUser } from '../auth/access.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { RoutesPlugin } from '../context.js';
import type { ClaimRow } from '../db/schema.js';
import { Errors } from '../errors.js';
import { listEvents } from '../events/events.repository.js';
import { errors } from '../http/responses.js';
import { toClaim } from './claim-view.js';
import { decodeCursor, encodeCursor, selectClaims, type ClaimFilter } from './claims.queries.js';
import { createClaim, requestClaimDeletion } from './claims.service.js';

// Fields a container runtime knows and Utopia refuses on purpose, with the reason in the error.
const FORBIDDEN_SPEC_FIELDS: Record<string, string> = {
  volumes: 'host mounts are not allowed',
  mounts: 'host mounts are not allowed',
  binds: 'host mounts are not allowed',
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
      const id = await createClaim(ctx.db, ctx.clock, p, request.body);
      ctx.signals.claimChanged(id);
      return reply
        .status(201)
        .header('location', `/api/gpu-claims/${id}`)
        .send(await claimView(id, p));
    },
  );

  app.get(
    '/api/gpu-claims',
    {
      config: { access: 'user' },
      schema: {
        tags: ['claims'],
        summary: 'List claims (yours; admins see all), newest first',
        querystring: ListClaimsQuery,
        response: { 200: ClaimList, ...errors(400, 401, 403) },
      },
    },
    async (request) => {
      const p = currentUser(request);
      const q = request.query;
      if (p.role !== 'admin' && q.owner !== undefined && q.owner !== p.username) {
        throw Errors.forbidden("only admins may list other users' claims");
      }
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const filter: ClaimFilter = {
        ...(p.role === 'admin' ? {} : { ownerId: p.userId }),
        ...(q.owner === undefined ? {} : { ownerName: q.owner }),
        ...(q.phase === undefined ? {} : { phase: q.phase }),
        ...(q.node === undefined ? {} : { nodeId: q.node }),
      };
      const limit = q.limit ?? 100;
      const rows = await selectClaims(db, filter, limit + 1, after);
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const nextCursor =
        rows.length > limit && last
          ? encodeCursor({ createdAt: last.created_at, id: last.id })
          : null;
      return { items: page.map((r) => toClaim(r)), nextCursor };
    },
  );

  app.get(
    '/api/gpu-claims/:id',
    {
      config: { access: 'user' },
      schema: {
        tags: ['claims'],
        summary: 'Get a claim with its events (like kubectl describe)',
        params: IdParams,
        response: { 200: GpuClaim, ...errors(401, 403, 404) },
      },
    },
    async (request) => claimView(request.params.id, currentUser(request)),
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
