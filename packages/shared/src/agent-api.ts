// Wire types between utopia-server and utopia-agent: node registration (agent → server) and the
// agent's own HTTP API (server → agent). Field names of the agent API follow the original Utopia
// node agent (snake_case) so the two stay interchangeable.
import { Type, type Static } from '@sinclair/typebox';
import { ImageReference } from './image-reference.js';
import { Text } from './api/common.js';
import { ExecQuery } from './api/streams.js';
import { AbsolutePath, MAX_CLAIM_MOUNTS, VolumeName } from './api/volumes.js';

/** GpuInventory is used to tell the server, at registration, which GPUs a node has. */
export const GpuInventory = Type.Object(
  {
    index: Type.Integer({ minimum: 0, maximum: 1023 }),
    uuid: Text({ maxLength: 128 }),
    model: Text({ maxLength: 256 }),
    memoryTotalMiB: Type.Integer({ minimum: 0 }),
  },
  { $id: 'GpuInventory', additionalProperties: false },
);
export type GpuInventory = Static<typeof GpuInventory>;

/** NodeRegisterRequest is used by a new agent to join the cluster with a join token. */
export const NodeRegisterRequest = Type.Object(
  {
    joinToken: Text({ minLength: 1, maxLength: 256 }),
    hostname: Text({ minLength: 1, maxLength: 253 }),
    machineId: Text({ maxLength: 128, description: '/etc/machine-id, "" if absent' }),
    agentVersion: Text({ maxLength: 64 }),
    address: Text({ maxLength: 2048, description: 'URL where the server reaches the agent' }),
    gpus: Type.Array(GpuInventory, { maxItems: 64 }),
  },
  { $id: 'NodeRegisterRequest', additionalProperties: false },
);
export type NodeRegisterRequest = Static<typeof NodeRegisterRequest>;

/** TunnelOffer is used to tell an agent how to open its frp tunnel, when the server runs one. */
export const TunnelOffer = Type.Object(
  {
    frpServerPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    frpToken: Type.String({
      description: 'frps token (frp has one per server; the plugin checks each node)',
    }),
  },
  { additionalProperties: false },
);
export type TunnelOffer = Static<typeof TunnelOffer>;

/** NodeRegisterResponse is used to hand a new node its identity (answered with 201). */
export const NodeRegisterResponse = Type.Object(
  {
    nodeId: Type.String(),
    credential: Type.String({ description: 'Bearer credential the node uses towards the server' }),
    agentToken: Type.String({ description: 'Bearer token the server uses towards this agent' }),
    tunnel: Type.Optional(TunnelOffer),
  },
  { $id: 'NodeRegisterResponse', additionalProperties: false },
);
export type NodeRegisterResponse = Static<typeof NodeRegisterResponse>;

/** NodeSelfUpdateRequest is used by a registered agent at each start (PUT /api/nodes/self). */
export const NodeSelfUpdateRequest = Type.Object(
  {
    hostname: Text({ minLength: 1, maxLength: 253 }),
    agentVersion: Text({ maxLength: 64 }),
    address: Text({ maxLength: 2048 }),
    gpus: Type.Array(GpuInventory, { maxItems: 64 }),
  },
  { $id: 'NodeSelfUpdateRequest', additionalProperties: false },
);
export type NodeSelfUpdateRequest = Static<typeof NodeSelfUpdateRequest>;

/** NodeSelfUpdateResponse is used to confirm which node the credential belongs to. */
export const NodeSelfUpdateResponse = Type.Object(
  { nodeId: Type.String(), tunnel: Type.Optional(TunnelOffer) },
  { $id: 'NodeSelfUpdateResponse', additionalProperties: false },
);
export type NodeSelfUpdateResponse = Static<typeof NodeSelfUpdateResponse>;

/** AgentErrorReason is used to tell the server, in a stable way, why an agent call failed. */
export const AgentErrorReason = {
  ValidationFailed: 'VALIDATION_FAILED',
  Unauthenticated: 'UNAUTHENTICATED',
  NotFound: 'NOT_FOUND',
  GpuUnavailable: 'GPU_UNAVAILABLE',
  ImageNotFound: 'IMAGE_NOT_FOUND',
  ContainerCreateFailed: 'CONTAINER_CREATE_FAILED',
  HostPathNotAllowed: 'HOST_PATH_NOT_ALLOWED',
  VolumeInUse: 'VOLUME_IN_USE',
  DockerUnavailable: 'DOCKER_UNAVAILABLE',
  /** The container exists but is not running, so nothing in it can be reached. */
  ContainerNotRunning: 'CONTAINER_NOT_RUNNING',
  /** Nothing accepted a TCP connection on the asked port inside the container. */
  PortUnreachable: 'PORT_UNREACHABLE',
  /** The server deleted this node (DELETE /api/v1/containers): it takes no new containers. */
  NodeRetired: 'NODE_RETIRED',
  Internal: 'INTERNAL',
} as const;
export type AgentErrorReason = (typeof AgentErrorReason)[keyof typeof AgentErrorReason];

/** AgentErrorBody is used for every error the agent answers (original `error`/`code` kept). */
export const AgentErrorBody = Type.Object(
  {
    error: Type.String({ description: 'What went wrong, for a person' }),
    code: Type.Integer({ description: 'HTTP status, as in the original agent' }),
    reason: Type.String({ description: 'Stable machine-readable AgentErrorReason' }),
    permanent: Type.Boolean({ description: 'true: retrying the same request cannot succeed' }),
  },
  { $id: 'AgentErrorBody', additionalProperties: false },
);
export type AgentErrorBody = Static<typeof AgentErrorBody>;

/** AgentPortMapping is used to publish one container port on the node. */
export const AgentPortMapping = Type.Object(
  {
    host_port: Type.Integer({ minimum: 0, maximum: 65535, description: '0: Docker chooses' }),
    container_port: Type.Integer({ minimum: 1, maximum: 65535 }),
    protocol: Type.Optional(Type.Union([Type.Literal('tcp'), Type.Literal('udp')])),
  },
  { additionalProperties: false },
);
export type AgentPortMapping = Static<typeof AgentPortMapping>;

// Text a container may receive: no NUL (the OCI runtime refuses it only at start) and no lone
// UTF-16 surrogate (it has no UTF-8 form, so it cannot reach Docker). Ajv compiles patterns with
// the "u" flag, under which the class matches lone surrogates but not astral characters.
const CONTAINER_TEXT = '[^\\u0000\\uD800-\\uDFFF]';

// A claim id, Docker container id or container name: it starts with a letter or a digit.
const NAME = '[A-Za-z0-9][A-Za-z0-9_.-]*';

/** AgentNamedVolume is used to mount an owner's Docker volume (created on first use). */
export const AgentNamedVolume = Type.Object(
  {
    owner: Type.String({
      minLength: 1,
      maxLength: 64,
      pattern: '^[A-Za-z0-9][A-Za-z0-9_-]*$',
      description: "Owner's user id: part of the Docker volume name, so owners never share one",
    }),
    name: VolumeName,
    mount_path: AbsolutePath,
    read_only: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type AgentNamedVolume = Static<typeof AgentNamedVolume>;

/** AgentHostPath is used to bind a host path; the agent mounts only its allowedHostPaths. */
export const AgentHostPath = Type.Object(
  {
    path: AbsolutePath,
    mount_path: AbsolutePath,
    read_only: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type AgentHostPath = Static<typeof AgentHostPath>;

/**
 * AgentCreateContainerRequest is used to start a claim's container (POST /api/v1/containers).
 * Like the original (Go) agent, an explicit null stands for an absent optional field, and
 * `volumes` is accepted when empty; host paths go in `host_paths`, checked against the agent's
 * allowedHostPaths.
 */
export const AgentCreateContainerRequest = Type.Object(
  {
    claim_id: Type.String({ minLength: 1, maxLength: 128, pattern: `^${NAME}$` }),
    image: ImageReference,
    gpu_count: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 64, description: 'Omit it (or send gpu_ids) for none' }),
    ),
    gpu_ids: Type.Optional(
      Type.Array(Type.Integer({ minimum: 0, maximum: 1023 }), { maxItems: 64, uniqueItems: true }),
    ),
    port_mappings: Type.Optional(Type.Array(AgentPortMapping, { maxItems: 64 })),
    env_vars: Type.Optional(
      Type.Array(
        Type.String({
          pattern: `^[^=\\u0000\\uD800-\\uDFFF]+=${CONTAINER_TEXT}*$`,
          maxLength: 32768,
          description: 'NAME=value',
        }),
        { maxItems: 512 },
      ),
    ),
    command: Type.Optional(
      Type.Array(Type.String({ maxLength: 32768, pattern: `^${CONTAINER_TEXT}*$` }), {
        maxItems: 512,
      }),
    ),
    working_dir: Type.Optional(Type.String({ maxLength: 4096, pattern: `^${CONTAINER_TEXT}*$` })),
    cpus: Type.Optional(
      Type.Number({ minimum: 0.01, maximum: 1024, description: 'CPU limit (NanoCpus)' }),
    ),
    memory_mib: Type.Optional(
      Type.Integer({ minimum: 6, maximum: 16_777_216, description: 'Memory limit; no swap' }),
    ),
    shm_size_mib: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1_048_576, description: "Docker's default: 64" }),
    ),
    named_volumes: Type.Optional(Type.Array(AgentNamedVolume, { maxItems: MAX_CLAIM_MOUNTS })),
    host_paths: Type.Optional(Type.Array(AgentHostPath, { maxItems: MAX_CLAIM_MOUNTS })),
    volumes: Type.Optional(
      Type.Object(
        {},
        {
          additionalProperties: false,
          description: 'Only {} (the original agent sent it empty); host paths go in host_paths',
        },
      ),
    ),
  },
  { $id: 'AgentCreateContainerRequest', additionalProperties: false },
);
export type AgentCreateContainerRequest = Static<typeof AgentCreateContainerRequest>;

/** AgentCreateContainerResponse is used to answer a create: 201 new, 200 already there. */
export const AgentCreateContainerResponse = Type.Object(
  { container_id: Type.String() },
  { $id: 'AgentCreateContainerResponse', additionalProperties: false },
);
export type AgentCreateContainerResponse = Static<typeof AgentCreateContainerResponse>;

/** AgentContainerInfo is used to describe one Utopia-managed container on a node. */
export const AgentContainerInfo = Type.Object(
  {
    id: Type.String(),
    claim_id: Type.String(),
    image: Type.String(),
    status: Type.String({ description: 'Docker state (created, running, exited...) or pulling' }),
    gpu_ids: Type.Array(Type.Integer()),
    ports: Type.Record(Type.String(), Type.String(), { description: '"8888/tcp": "0.0.0.0:8888"' }),
    created: Type.Integer({ description: 'unix seconds' }),
    started: Type.Integer({ description: 'unix seconds, 0 if never started' }),
    labels: Type.Record(Type.String(), Type.String()),
    exit_code: Type.Union([Type.Integer(), Type.Null()]),
    finished: Type.Union([Type.Integer(), Type.Null()], { description: 'unix seconds' }),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'AgentContainerInfo', additionalProperties: false },
);
export type AgentContainerInfo = Static<typeof AgentContainerInfo>;

/** AgentContainerList is used to list a node's Utopia containers (never null). */
export const AgentContainerList = Type.Array(AgentContainerInfo, { $id: 'AgentContainerList' });
export type AgentContainerList = Static<typeof AgentContainerList>;

/**
 * AgentContainerParams is used to name a container by Docker id or name, or by `claim:<claimId>`.
 * Nothing else reaches Docker: a "/" or a leading "." could turn into another Engine API path.
 */
export const AgentContainerParams = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: `^(?:claim:)?${NAME}$`,
      description: 'Container id or name, or claim:<claimId>',
    }),
  },
  { additionalProperties: false },
);
export type AgentContainerParams = Static<typeof AgentContainerParams>;

/** AgentDeleteQuery is used when the server removes a container to restart its claim. */
export const AgentDeleteQuery = Type.Object(
  {
    keep_logs: Type.Optional(
      Type.Boolean({ description: "Keep the container's log tail as the claim's previous run" }),
    ),
  },
  { additionalProperties: false },
);
export type AgentDeleteQuery = Static<typeof AgentDeleteQuery>;

/** AgentExecQuery is used to start a command in a container: the public API's own parameters. */
export const AgentExecQuery = ExecQuery;
export type AgentExecQuery = Static<typeof AgentExecQuery>;

/** AgentRemoveAllResponse is used to answer DELETE /api/v1/containers: what was removed. */
export const AgentRemoveAllResponse = Type.Object(
  { container_ids: Type.Array(Type.String()) },
  { $id: 'AgentRemoveAllResponse', additionalProperties: false },
);
export type AgentRemoveAllResponse = Static<typeof AgentRemoveAllResponse>;

/** AgentLogsQuery is used to choose how much of a container's log to read, and whether to follow. */
export const AgentLogsQuery = Type.Object(
  {
    tail: Type.Optional(Type.Integer({ minimum: 0, maximum: 100000 })),
    follow: Type.Optional(Type.Boolean()),
    since: Type.Optional(
      Type.Number({ minimum: 0, maximum: 1e11, description: 'Unix seconds (fractions allowed)' }),
    ),
    timestamps: Type.Optional(Type.Boolean()),
    previous: Type.Optional(
      Type.Boolean({ description: "The claim's previous run (kept after a restart)" }),
    ),
  },
  { additionalProperties: false },
);
export type AgentLogsQuery = Static<typeof AgentLogsQuery>;

/** AgentPortForwardQuery is used to name the container's TCP port a port-forward connects to. */
export const AgentPortForwardQuery = Type.Object(
  { port: Type.Integer({ minimum: 1, maximum: 65535, description: 'TCP port in the container' }) },
  { additionalProperties: false },
);
export type AgentPortForwardQuery = Static<typeof AgentPortForwardQuery>;

/** AgentGpuMetrics is used to report one GPU, in the original agent's GPUInfo shape. */
export const AgentGpuMetrics = Type.Object(
  {
    id: Type.Integer(),
    temperature_c: Type.Number(),
    memory_total_mb: Type.Number(),
    memory_used_mb: Type.Number(),
    name: Type.String(),
    uuid: Type.String(),
    busy: Type.Boolean(),
    usage_percent: Type.Number(),
  },
  { additionalProperties: false },
);
export type AgentGpuMetrics = Static<typeof AgentGpuMetrics>;

/** AgentSystemMetrics is used to report host CPU, memory, disk, load and uptime. */
export const AgentSystemMetrics = Type.Object(
  {
    cpu_usage_percent: Type.Number(),
    memory_usage_percent: Type.Number(),
    memory_total_mb: Type.Number(),
    memory_used_mb: Type.Number(),
    disk_usage_percent: Type.Number(),
    load_average: Type.Array(Type.Number()),
    uptime: Type.Number({ description: 'seconds' }),
  },
  { additionalProperties: false },
);
export type AgentSystemMetrics = Static<typeof AgentSystemMetrics>;

/** AgentCapacity is used to report what claim containers may use of the node, in all. */
export const AgentCapacity = Type.Object(
  {
    cpus: Type.Number({ minimum: 0 }),
    memory_mib: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type AgentCapacity = Static<typeof AgentCapacity>;

/** AgentGpuInjection is used to say how the agent gives containers their GPUs, and why. */
export const AgentGpuInjection = Type.Object(
  {
    mode: Type.Union([Type.Literal('cdi'), Type.Literal('nvidia-runtime'), Type.Literal('none')], {
      description:
        'cdi: device nodes and mounts from CDI specs; nvidia-runtime: DeviceRequests; none: no device (simulated or no GPUs)',
    }),
    reason: Type.String({ maxLength: 4096, description: 'Why this mode, for a person' }),
  },
  { $id: 'AgentGpuInjection', additionalProperties: false },
);
export type AgentGpuInjection = Static<typeof AgentGpuInjection>;

/** AgentMetricsResponse is used to answer GET /api/v1/metrics. */
export const AgentMetricsResponse = Type.Object(
  {
    node_id: Type.String(),
    cpu_usage_percent: Type.Number(),
    memory_usage_percent: Type.Number(),
    gpus: Type.Array(AgentGpuMetrics),
    system: AgentSystemMetrics,
    capacity: Type.Optional(AgentCapacity),
    gpu_injection: Type.Optional(AgentGpuInjection),
  },
  { $id: 'AgentMetricsResponse', additionalProperties: false },
);
export type AgentMetricsResponse = Static<typeof AgentMetricsResponse>;

/** AgentHealthResponse is used to answer GET /health (no auth). */
export const AgentHealthResponse = Type.Object(
  { status: Type.Literal('healthy'), timestamp: Type.Integer() },
  { $id: 'AgentHealthResponse', additionalProperties: false },
);
export type AgentHealthResponse = Static<typeof AgentHealthResponse>;

/** AgentCdiHookNote is used to say what became of one OCI hook of the CDI specs in use. */
export const AgentCdiHookNote = Type.Object(
  {
    hook: Type.String(),
    handling: Type.Union([
      Type.Literal('emulated'),
      Type.Literal('not-needed'),
      Type.Literal('skipped'),
    ]),
    why: Type.String(),
  },
  { additionalProperties: false },
);

/** AgentStatusResponse is used to answer GET /status (no auth): who this agent is and how it is. */
export const AgentStatusResponse = Type.Object(
  {
    node_id: Type.String(),
    version: Type.String(),
    gpu_count: Type.Integer(),
    gpu_backend: Type.String({ description: 'nvidia-smi, simulated or none' }),
    gpu_condition: Type.String({ description: 'e.g. "ok" or "nvidia-smi not found; no GPUs"' }),
    docker: Type.String({ description: '"ok" or why Docker is unreachable' }),
    container_count: Type.Integer(),
    gpu_injection: Type.Optional(AgentGpuInjection),
    cdi_hooks: Type.Optional(
      Type.Array(AgentCdiHookNote, {
        description: 'CDI mode: each hook of the specs, and whether it is emulated or skipped',
      }),
    ),
  },
  { $id: 'AgentStatusResponse', additionalProperties: false },
);
export type AgentStatusResponse = Static<typeof AgentStatusResponse>;

/** AgentVolumeParams is used to name a Utopia volume by its Docker name. */
export const AgentVolumeParams = Type.Object(
  {
    name: Type.String({
      minLength: 1,
      maxLength: 200,
      pattern: '^utopia-[A-Za-z0-9][A-Za-z0-9_.-]*$',
      description: 'Docker volume name, utopia-<ownerId>-<name>',
    }),
  },
  { additionalProperties: false },
);
export type AgentVolumeParams = Static<typeof AgentVolumeParams>;

/** AgentVolumeInfo is used to describe one Utopia volume on a node. */
export const AgentVolumeInfo = Type.Object(
  {
    name: Type.String({ description: 'Docker volume name' }),
    owner: Type.String(),
    volume: Type.String({ description: "The owner's name for it" }),
  },
  { $id: 'AgentVolumeInfo', additionalProperties: false },
);
export type AgentVolumeInfo = Static<typeof AgentVolumeInfo>;

/** AgentVolumeList is used to answer GET /api/v1/volumes. */
export const AgentVolumeList = Type.Array(AgentVolumeInfo, { $id: 'AgentVolumeList' });
export type AgentVolumeList = Static<typeof AgentVolumeList>;
