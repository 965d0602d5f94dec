import { CloneType, Type, type Static } from '@sinclair/typebox';
import { ImageReference } from '../image-reference.js';
import { Id, StringMap, Text, Timestamp } from './common.js';
import { LabelKey, LabelValue } from './nodes.js';
import { Username } from './users.js';
import { ClaimHostPath, ClaimVolume, MAX_CLAIM_MOUNTS } from './volumes.js';
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

/** ClaimResources is used to ask for GPUs, and to cap the container's CPU and memory. */
export const ClaimResources = Type.Object(
  {
    gpuCount: Type.Integer({ minimum: 1, maximum: 64 }),
    cpus: Type.Optional(
      Type.Number({
        minimum: 0.01,
        maximum: 1024,
        description: 'CPU limit (fractions allowed, counted in thousandths); unlimited if absent',
      }),
    ),
    memoryMiB: Type.Optional(
      Type.Integer({
        minimum: 6,
        maximum: 16_777_216,
        description: 'Memory limit in MiB (Docker needs at least 6); unlimited if absent',
      }),
    ),
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
    volumes: Type.Optional(Type.Array(ClaimVolume, { maxItems: MAX_CLAIM_MOUNTS })),
    hostPaths: Type.Optional(Type.Array(ClaimHostPath, { maxItems: MAX_CLAIM_MOUNTS })),
    shmSizeMiB: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_048_576,
        description:
          '/dev/shm size in MiB; default 2048, or half of resources.memoryMiB when that is smaller',
      }),
    ),
  },
  { additionalProperties: false },
);
export type ClaimSpec = Static<typeof ClaimSpec>;

/** ClaimLabels is used for a claim's labels: short, safe pairs that lists can filter on. */
export const ClaimLabels = StringMap(LabelKey, LabelValue, { maxProperties: 32 });

/** ClaimAnnotations is used for a claim's annotations: free text for tools, never filtered on. */
export const ClaimAnnotations = StringMap(LabelKey, Text({ maxLength: 4096 }), {
  maxProperties: 32,
});

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
    labels: Type.Optional(ClaimLabels),
    annotations: Type.Optional(ClaimAnnotations),
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
    labels: Type.Record(Type.String(), Type.String()),
    annotations: Type.Record(Type.String(), Type.String()),
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

/** LabelSelector is used to keep claims with one label set to one value: `key=value`. */
export const LabelSelector = Type.String({
  minLength: 2,
  maxLength: 127,
  pattern:
    '^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?=([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?$',
  description: 'key=value: claims whose label key has exactly this value (value may be empty)',
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
    label: Type.Optional(LabelSelector),
  },
  { additionalProperties: false },
);
export type ListClaimsQuery = Static<typeof ListClaimsQuery>;

/** ClaimList is used to answer GET /api/gpu-claims: a page and the cursor of the next one. */
export const ClaimList = Type.Object(
  { items: Type.Array(GpuClaim), nextCursor: Type.Union([Type.String(), Type.Null()]) },
  { additionalProperties: false },
);

/** DEFAULT_SHM_SIZE_MIB is used when a claim sets no shmSizeMiB (Docker's own 64 MiB is too small for PyTorch). */
export const DEFAULT_SHM_SIZE_MIB = 2048;

/**
 * shmSizeMiBOf is used to size a claim's /dev/shm: its own shmSizeMiB, else 2 GiB, but at most
 * half of its memory limit (pages in /dev/shm count against that limit).
 */
export function shmSizeMiBOf(spec: Pick<ClaimSpec, 'shmSizeMiB' | 'resources'>): number {
  if (spec.shmSizeMiB !== undefined) return spec.shmSizeMiB;
  const memory = spec.resources.memoryMiB;
  return memory === undefined
    ? DEFAULT_SHM_SIZE_MIB
    : Math.max(1, Math.min(DEFAULT_SHM_SIZE_MIB, Math.floor(memory / 2)));
}
