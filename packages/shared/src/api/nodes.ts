import { Type, type Static } from '@sinclair/typebox';
import { Id, StringMap, Text, Timestamp } from './common.js';

/** NodeStatus is used for a node's reachability: Registering until first reached, then Online/Offline. */
export const NodeStatus = Type.Union([
  Type.Literal('Registering'),
  Type.Literal('Online'),
  Type.Literal('Offline'),
]);
export type NodeStatus = Static<typeof NodeStatus>;

/** LabelKey and LabelValue are used for node labels and nodeSelector entries. */
export const LabelKey = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: '^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$',
});
export const LabelValue = Type.String({
  maxLength: 63,
  pattern: '^([A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?)?$',
});
export const Labels = StringMap(LabelKey, LabelValue, { maxProperties: 64 });

/** NodeGpu is used to show one GPU of a node, and which claim holds it. */
export const NodeGpu = Type.Object(
  {
    index: Type.Integer(),
    uuid: Type.String(),
    model: Type.String(),
    memoryTotalMiB: Type.Integer(),
    memoryUsedMiB: Type.Union([Type.Integer(), Type.Null()]),
    utilizationPercent: Type.Union([Type.Number(), Type.Null()]),
    temperatureC: Type.Union([Type.Number(), Type.Null()]),
    claimId: Type.Union([Type.String(), Type.Null()], { description: 'Claim holding this GPU' }),
  },
  { additionalProperties: false },
);
export type NodeGpu = Static<typeof NodeGpu>;

/** NodeCapacity is used to show what a node's agent can give claim containers. */
export const NodeCapacity = Type.Object(
  {
    cpus: Type.Number({ description: 'CPUs claims may use (the agent reports it)' }),
    memoryMiB: Type.Integer({ description: 'Memory claims may use, in MiB' }),
  },
  { additionalProperties: false },
);
export type NodeCapacity = Static<typeof NodeCapacity>;

/** NodeGpuInjection is used to show how a node's agent gives containers their GPUs, and why. */
export const NodeGpuInjection = Type.Object(
  {
    mode: Type.Union([Type.Literal('cdi'), Type.Literal('nvidia-runtime'), Type.Literal('none')]),
    reason: Type.String(),
  },
  { additionalProperties: false },
);
export type NodeGpuInjection = Static<typeof NodeGpuInjection>;

/** Node is used to show a GPU node. */
export const Node = Type.Object(
  {
    id: Id,
    hostname: Type.String(),
    status: NodeStatus,
    schedulable: Type.Boolean({ description: 'false when cordoned' }),
    labels: Type.Record(Type.String(), Type.String()),
    gpus: Type.Array(NodeGpu),
    gpuCount: Type.Integer(),
    gpusReserved: Type.Integer(),
    capacity: Type.Union([NodeCapacity, Type.Null()], {
      description: 'CPU and memory for claims; null until the agent reported them',
    }),
    agentVersion: Type.String(),
    address: Type.Union([Type.String(), Type.Null()], { description: 'Direct-mode agent URL' }),
    tunnelPort: Type.Union([Type.Integer(), Type.Null()]),
    gpuInjection: Type.Union([NodeGpuInjection, Type.Null()], {
      description: 'cdi, nvidia-runtime or none, and why; null until the agent reports it',
    }),
    dockerProblem: Type.Union([Type.String(), Type.Null()], {
      description:
        "Why the node's agent cannot reach its Docker Engine (no claim starts there until it can); null while it can",
    }),
    lastHeartbeatAt: Type.Union([Timestamp, Type.Null()]),
    statusChangedAt: Timestamp,
    createdAt: Timestamp,
    version: Type.Integer(),
  },
  { additionalProperties: false },
);
export type Node = Static<typeof Node>;

/** NodeList is used to answer GET /api/nodes. */
export const NodeList = Type.Object({ items: Type.Array(Node) }, { additionalProperties: false });

/** UpdateNodeRequest is used by admins to cordon/uncordon a node or set its labels. */
export const UpdateNodeRequest = Type.Object(
  { schedulable: Type.Optional(Type.Boolean()), labels: Type.Optional(Labels) },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateNodeRequest = Static<typeof UpdateNodeRequest>;

/** JoinToken is used to list a join token (never its secret). */
export const JoinToken = Type.Object(
  {
    id: Id,
    description: Type.String(),
    createdAt: Timestamp,
    expiresAt: Timestamp,
    maxUses: Type.Union([Type.Integer(), Type.Null()]),
    useCount: Type.Integer(),
    revoked: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type JoinToken = Static<typeof JoinToken>;

/** CreateJoinTokenRequest is used by admins to let new nodes register. */
export const CreateJoinTokenRequest = Type.Object(
  {
    description: Type.Optional(Text({ maxLength: 200 })),
    expiresInHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 24 * 365, default: 24 })),
    maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000 })),
  },
  { additionalProperties: false },
);
export type CreateJoinTokenRequest = Static<typeof CreateJoinTokenRequest>;

/** CreatedJoinToken is used to show a new join token's secret, once. */
export const CreatedJoinToken = Type.Object(
  { token: Type.String({ description: 'Shown only now' }), joinToken: JoinToken },
  { additionalProperties: false },
);

/** JoinTokenList is used to answer GET /api/join-tokens. */
export const JoinTokenList = Type.Object(
  { items: Type.Array(JoinToken) },
  { additionalProperties: false },
);
