import type { Kysely } from 'kysely';

// Only portable column types: varchar for anything indexed (MySQL cannot index TEXT without a
// prefix), text for JSON documents, integer for counters and 0/1 flags.
const ID = 'varchar(64)';
const TIME = 'varchar(30)';

/** up is used to create the initial schema. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('username', 'varchar(64)', (c) => c.notNull().unique())
    .addColumn('password_hash', 'varchar(255)', (c) => c.notNull())
    .addColumn('role', 'varchar(16)', (c) => c.notNull())
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('gpu_quota', 'integer')
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addColumn('updated_at', TIME, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('user_id', ID, (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'varchar(100)', (c) => c.notNull())
    .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addColumn('expires_at', TIME)
    .addColumn('last_used_at', TIME)
    .addColumn('revoked_at', TIME)
    .execute();
  await db.schema.createIndex('api_tokens_user').on('api_tokens').column('user_id').execute();

  await db.schema
    .createTable('join_tokens')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('secret_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('description', 'varchar(200)', (c) => c.notNull())
    .addColumn('created_by', ID, (c) => c.notNull())
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addColumn('expires_at', TIME, (c) => c.notNull())
    .addColumn('max_uses', 'integer')
    .addColumn('use_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('revoked_at', TIME)
    .execute();

  await db.schema
    .createTable('nodes')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('hostname', 'varchar(255)', (c) => c.notNull())
    .addColumn('machine_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('schedulable', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('labels', 'text', (c) => c.notNull())
    .addColumn('gpus', 'text', (c) => c.notNull())
    .addColumn('agent_version', 'varchar(64)', (c) => c.notNull())
    .addColumn('address', 'varchar(255)')
    .addColumn('tunnel_port', 'integer')
    .addColumn('credential_hash', 'varchar(64)', (c) => c.notNull())
    .addColumn('join_token_id', ID)
    .addColumn('last_heartbeat_at', TIME)
    .addColumn('status_changed_at', TIME, (c) => c.notNull())
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addColumn('updated_at', TIME, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex('nodes_status').on('nodes').column('status').execute();

  await db.schema
    .createTable('gpu_claims')
    .addColumn('id', ID, (c) => c.primaryKey())
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('owner_id', ID, (c) => c.notNull().references('users.id'))
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('gpu_count', 'integer', (c) => c.notNull())
    .addColumn('phase', 'varchar(16)', (c) => c.notNull())
    .addColumn('node_id', ID)
    .addColumn('gpu_ids', 'varchar(255)')
    .addColumn('container_id', 'varchar(128)')
    .addColumn('reason', 'varchar(64)')
    .addColumn('message', 'text')
    .addColumn('restart_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('exit_code', 'integer')
    .addColumn('deletion_requested_at', TIME)
    .addColumn('phase_changed_at', TIME, (c) => c.notNull())
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addColumn('updated_at', TIME, (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
    .addUniqueConstraint('gpu_claims_owner_name', ['owner_id', 'name'])
    .execute();
  await db.schema
    .createIndex('gpu_claims_phase')
    .on('gpu_claims')
    .columns(['phase', 'created_at'])
    .execute();
  await db.schema.createIndex('gpu_claims_node').on('gpu_claims').column('node_id').execute();
  await db.schema
    .createIndex('gpu_claims_owner')
    .on('gpu_claims')
    .columns(['owner_id', 'created_at'])
    .execute();

  // The invariant "no GPU is ever given to two live claims" is this primary key.
  await db.schema
    .createTable('gpu_reservations')
    .addColumn('node_id', ID, (c) => c.notNull())
    .addColumn('gpu_index', 'integer', (c) => c.notNull())
    .addColumn('claim_id', ID, (c) => c.notNull())
    .addColumn('created_at', TIME, (c) => c.notNull())
    .addPrimaryKeyConstraint('gpu_reservations_pk', ['node_id', 'gpu_index'])
    .execute();
  await db.schema
    .createIndex('gpu_reservations_claim')
    .on('gpu_reservations')
    .column('claim_id')
    .execute();

  await db.schema
    .createTable('events')
    .addColumn('id', 'integer', (c) => c.primaryKey().autoIncrement())
    .addColumn('object_kind', 'varchar(16)', (c) => c.notNull())
    .addColumn('object_id', ID, (c) => c.notNull())
    .addColumn('type', 'varchar(16)', (c) => c.notNull())
    .addColumn('reason', 'varchar(64)', (c) => c.notNull())
    .addColumn('message', 'text', (c) => c.notNull())
    .addColumn('created_at', TIME, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('events_object')
    .on('events')
    .columns(['object_kind', 'object_id', 'id'])
    .execute();

  await db.schema
    .createTable('leases')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('holder', 'varchar(128)', (c) => c.notNull())
    .addColumn('expires_at', TIME, (c) => c.notNull())
    .addColumn('renewed_at', TIME, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('name', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

/** down is used to drop the initial schema. */
export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    'settings',
    'leases',
    'events',
    'gpu_reservations',
    'gpu_claims',
    'nodes',
    'join_tokens',
    'api_tokens',
    'users',
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
