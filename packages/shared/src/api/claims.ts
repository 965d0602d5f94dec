import { CloneType, Type, type Static } from '@sinclair/typebox';
import { ImageReference } from '../image-reference.js';
import { Id, StringMap, Text, Timestamp } from './common.js';
import { LabelKey, LabelValue } from './nodes.js';
import { Username } from './users.js';
import { WatchQuery } from './watch.js';

/** ClaimPhase is used for where a claim is in its life. */
export const ClaimPhase = Type.Union([
  Type.Literal('Pending'),
  Type.Literal('Scheduled'),
  Type.Literal('Running'),
  Type.Literal('Succeeded'),
  Type.Literal('Failed'),
  Type.Literal('Terminating'),
]);
export type ClaimPhase = Static<typeof ClaimPhase>;

/** RestartPolicy is used to decide what happens when a claim's container exits. */
export const RestartPolicy = Type.Union([
  Type.Literal('Always'),
  Type.Literal('OnFailure'),
  Type.Literal('Never'),
]);
export type RestartPolicy = Static<typeof RestartPolicy>;

/** ClaimResources is used to ask for GPUs. */
export const ClaimResources = Type.Object(
  {
    gpuCount: Type.Integer({ minimum: 1, maximum: 64 }),
    gpuModel: Type.Optional(
      Text({
        minLength: 1,
        maxLength: 128,
        description: 'Exact model, e.g. "NVIDIA A100-SXM4-80GB"',
      }),
    ),
    minGpuMemoryMiB: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000_000 })),
  },
  { additionalProperties: false },
);

/** ClaimPort is used to ask for a container port to be reachable. */
export const ClaimPort = Type.Object(
  {
    containerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp')])),
  },
  { additionalProperties: false },
);

/** ClaimSpec is used to say what a claim wants; only its owner writes it. */
export const ClaimSpec = Type.Object(
  {
    image: ImageReference,
    resources: ClaimResources,
    command: Type.Optional(Type.Array(Text({ maxLength: 4096 }), { maxItems: 128 })),
    env: Type.Optional(
      StringMap(
        Type.String({
          // Utopia sets these itself from the GPUs it assigns; a user's value would be a lie.
          pattern:
            '^(?!UTOPIA_|NVIDIA_VISIBLE_DEVICES$|CUDA_VISIBLE_DEVICES$)[A-Za-z_][A-Za-z0-9_]*$',
          maxLength: 128,
        }),
        Text({ maxLength: 8192 }),
        { maxProperties: 128 },
      ),
    ),
    ports: Type.Optional(Type.Array(ClaimPort, { maxItems: 16 })),
    nodeSelector: Type.Optional(StringMap(LabelKey, LabelValue, { maxProperties: 32 })),
    restartPolicy: Type.Optional(RestartPolicy),
  },
  { additionalProperties: false },
);
export type ClaimSpec = Static<typeof ClaimSpec>;

/** ClaimName is used for a claim's name: unique per owner, DNS-label shaped. */
export const ClaimName = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9]([a-z0-9-]*[a-z0-9])?$',
});

/** CreateClaimRequest is used by POST /api/gpu-claims (a bare spec is accepted too). */
export const CreateClaimRequest = Type.Object(
  {
    name: Type.Optional(ClaimName),
    spec: ClaimSpec,
  },
  { additionalProperties: false },
);
export type CreateClaimRequest = Static<typeof CreateClaimRequest>;

/** ClaimEvent is used to show one thing that happened to a claim, like `kubectl describe`. */
export const ClaimEvent = Type.Object(
  {
    type: Type.Union([Type.Literal('Normal'), Type.Literal('Warning')]),
    reason: Type.String(),
    message: Type.String(),
    time: Timestamp,
  },
  { additionalProperties: false },
);
export type ClaimEvent = Static<typeof ClaimEvent>;

/** ClaimPlacement is used to explain the scheduler's last decision for a claim, node by node. */
export const ClaimPlacement = Type.Object(
  {
    nodesEvaluated: Type.Integer({ description: 'Nodes the scheduler looked at' }),
    nodesFiltered: Type.Integer({ description: 'Nodes that can never take this claim as it is' }),
    filteredByReason: Type.Record(Type.String(), Type.Integer(), {
      description: "Filtered nodes per reason, e.g. {'node offline': 2}",
    }),
    nodesExhausted: Type.Integer({ description: 'Nodes that fit but lack free capacity now' }),
    exhaustedByDimension: Type.Record(Type.String(), Type.Integer()),
    nodesFeasible: Type.Integer(),
    chosenScore: Type.Union([Type.Number(), Type.Null()]),
    topScores: Type.Array(
      Type.Object({ nodeId: Type.String(), score: Type.Number() }, { additionalProperties: false }),
    ),
  },
  { additionalProperties: false },
);
export type ClaimPlacement = Static<typeof ClaimPlacement>;

/** ClaimStatus is used to show what the controller made of a claim; only the controller writes it. */
export const ClaimStatus = Type.Object(
  {
    phase: ClaimPhase,
    nodeName: Type.Union([Type.String(), Type.Null()], { description: 'Hostname of the node' }),
    nodeId: Type.Union([Type.String(), Type.Null()]),
    gpuIds: Type.Array(Type.Integer()),
    containerId: Type.Union([Type.String(), Type.Null()]),
    reason: Type.Union([Type.String(), Type.Null()]),
    message: Type.Union([Type.String(), Type.Null()]),
    restartCount: Type.Integer(),
    exitCode: Type.Union([Type.Integer(), Type.Null()]),
    phaseChangedAt: Timestamp,
    deletionRequestedAt: Type.Union([Timestamp, Type.Null()]),
    placement: Type.Union([ClaimPlacement, Type.Null()], {
      description: 'The scheduler’s last placement metrics (why a Pending claim waits)',
    }),
  },
  { additionalProperties: false },
);
export type ClaimStatus = Static<typeof ClaimStatus>;

/** GpuClaim is used to show a claim. */
export const GpuClaim = Type.Object(
  {
    id: Id,
    name: Type.String(),
    owner: Type.String({ description: 'Username of the owner' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: Type.Integer(),
    spec: ClaimSpec,
    status: ClaimStatus,
    events: Type.Optional(Type.Array(ClaimEvent)),
  },
  { additionalProperties: false },
);
export type GpuClaim = Static<typeof GpuClaim>;

/**
 * ClaimCursor is used to page claim lists: the creation time and id of the last claim of a page.
 * Any cursor of this shape names a position in the list, so none is refused once it is well formed.
 */
export const ClaimCursor = Type.String({
  maxLength: 100,
  pattern:
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z~[A-Za-z0-9_-]{1,64}$',
  description: 'nextCursor of the previous page',
});

/** ListClaimsQuery is used to filter and page GET /api/gpu-claims, or to watch it (`watch=1`). */
export const ListClaimsQuery = Type.Object(
  {
    ...WatchQuery.properties,
    phase: Type.Optional(ClaimPhase),
    node: Type.Optional(CloneType(Id, { description: 'Node id' })),
    owner: Type.Optional(CloneType(Username, { description: 'Username (admins only)' })),
    name: Type.Optional(
      CloneType(ClaimName, { description: 'Claim name (the CLI addresses claims by name)' }),
    ),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
    cursor: Type.Optional(ClaimCursor),
  },
  { additionalProperties: false },
);
export type ListClaimsQuery = Static<typeof ListClaimsQuery>;

/** ClaimList is used to answer GET /api/gpu-claims: a page and the cursor of the next one. */
export const ClaimList = Type.Object(
  { items: Type.Array(GpuClaim), nextCursor: Type.Union([Type.String(), Type.Null()]) },
  { additionalProperties: false },
);
