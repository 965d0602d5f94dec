import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

// Times are ISO-8601 UTC strings (Date#toISOString): portable across SQLite and MySQL, and they
// sort correctly as text. Booleans are 0/1 integers. JSON documents are text.

/** UsersTable is used to type the users table. */
export interface UsersTable {
  id: string;
  username: string;
  password_hash: string;
  role: 'admin' | 'user';
  disabled: number;
  gpu_quota: number | null;
  created_at: string;
  updated_at: string;
  /** Bumped to end every login session (JWT) issued before; see auth/authenticate.ts. */
  token_generation: Generated<number>;
}

/** ApiTokensTable is used to type long-lived API tokens (only a hash of the secret is kept). */
export interface ApiTokensTable {
  id: string;
  user_id: string;
  name: string;
  secret_hash: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** JoinTokensTable is used to type the tokens that let a new node register. */
export interface JoinTokensTable {
  id: string;
  secret_hash: string;
  description: string;
  created_by: string;
  created_at: string;
  expires_at: string;
  max_uses: number | null;
  use_count: number;
  revoked_at: string | null;
}

/** NodesTable is used to type GPU nodes. */
export interface NodesTable {
  id: string;
  hostname: string;
  machine_id: string;
  status: 'Registering' | 'Online' | 'Offline';
  schedulable: number;
  labels: string;
  gpus: string;
  agent_version: string;
  address: string | null;
  tunnel_port: number | null;
  /** JSON { mode, reason } from the agent's metrics; null until reported. */
  gpu_injection: string | null;
  /** Why the agent cannot reach its Docker Engine; null while it can or before it was asked. */
  docker_problem: string | null;
  credential_hash: string;
  join_token_id: string | null;
  last_heartbeat_at: string | null;
  status_changed_at: string;
  created_at: string;
  updated_at: string;
  version: number;
  /** Capacity for claims as the agent reports it (thousandths of a CPU, MiB); null: unknown. */
  cpu_millis: number | null;
  memory_mib: number | null;
}

/** GpuClaimsTable is used to type GPU claims: spec columns are the user's, the rest the controller's. */
export interface GpuClaimsTable {
  id: string;
  name: string;
  owner_id: string;
  spec: string;
  gpu_count: number;
  phase: 'Pending' | 'Scheduled' | 'Running' | 'Succeeded' | 'Failed' | 'Terminating';
  node_id: string | null;
  gpu_ids: string | null;
  container_id: string | null;
  reason: string | null;
  message: string | null;
  restart_count: number;
  exit_code: number | null;
  deletion_requested_at: string | null;
  /** Set by a node drain: the controller moves the claim off its node. */
  reschedule_requested_at: string | null;
  /** The scheduler's last PlacementMetrics, as JSON. */
  placement: string | null;
  phase_changed_at: string;
  created_at: string;
  updated_at: string;
  version: number;
  /** The spec's limits, summed per node by the scheduler; 0: none asked. */
  cpu_millis: number;
  memory_mib: number;
  /** JSON string maps; null: none. */
  labels: string | null;
  annotations: string | null;
}

/** VolumesTable is used to track named volumes: (owner, name, node) is unique. */
export interface VolumesTable {
  id: string;
  owner_id: string;
  name: string;
  node_id: string;
  created_at: string;
  last_used_at: string;
}

/** GpuReservationsTable is used to hold GPUs for claims: (node_id, gpu_index) is the primary key. */
export interface GpuReservationsTable {
  node_id: string;
  gpu_index: number;
  claim_id: string;
  created_at: string;
}

/** EventsTable is used to keep a history of what happened to claims and nodes. */
export interface EventsTable {
  id: Generated<number>;
  object_kind: 'GpuClaim' | 'Node' | 'User';
  object_id: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  created_at: string;
}

/** LeasesTable is used to elect the one replica that runs the controllers. */
export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: string;
  renewed_at: string;
  /** The fencing token: bumped on every takeover; controller writes check it. */
  generation: Generated<number>;
}

/** SettingsTable is used to keep server-generated secrets and other key/value state. */
export interface SettingsTable {
  name: string;
  value: string;
}

/** ProxyTicketsTable is used for one-time tickets that open an HTTP proxy session. */
export interface ProxyTicketsTable {
  ticket_hash: string;
  claim_id: string;
  port: number;
  user_id: string;
  expires_at: string;
}

/** ResourceChangeKind and ResourceChangeType are used to name what changed and how. */
export type ResourceChangeKind = 'GpuClaim' | 'Node';
export type ResourceChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * ResourceChangesTable is used for the change log that watch streams read: one row per write of
 * a claim or node, written in the same transaction. `rv` is the resource version.
 */
export interface ResourceChangesTable {
  rv: Generated<number>;
  kind: ResourceChangeKind;
  object_id: string;
  /** The claim's owner, so a user's stream can filter; null for nodes. */
  owner_id: string | null;
  type: ResourceChangeType;
  /** The object's version after the write (its last one for DELETED). */
  object_version: number;
  /** The object as the REST API shows it, as JSON. */
  object: string;
  created_at: string;
  /** The controller lease generation that wrote it (see db/lease-term.ts); null outside it. */
  lease_generation: number | null;
}

/** Database is used to type every Kysely query of the server. */
export interface Database {
  users: UsersTable;
  api_tokens: ApiTokensTable;
  join_tokens: JoinTokensTable;
  nodes: NodesTable;
  gpu_claims: GpuClaimsTable;
  gpu_reservations: GpuReservationsTable;
  events: EventsTable;
  leases: LeasesTable;
  settings: SettingsTable;
  resource_changes: ResourceChangesTable;
  proxy_tickets: ProxyTicketsTable;
  volumes: VolumesTable;
}

export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type ApiTokenRow = Selectable<ApiTokensTable>;
export type JoinTokenRow = Selectable<JoinTokensTable>;
export type NodeRow = Selectable<NodesTable>;
export type ClaimRow = Selectable<GpuClaimsTable>;
export type ReservationRow = Selectable<GpuReservationsTable>;
export type EventRow = Selectable<EventsTable>;
export type ResourceChangeRow = Selectable<ResourceChangesTable>;
export type VolumeRow = Selectable<VolumesTable>;
