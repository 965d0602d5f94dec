import { randomUUID } from 'node:crypto';
import type {
  NodeRegisterRequest,
  NodeRegisterResponse,
  NodeSelfUpdateRequest,
} from '@utopia/shared';
import type { Kysely } from 'kysely';
import { NODE_CREDENTIAL_PREFIX, splitToken } from '../auth/principal.js';
import { constantTimeEqual, randomSecret, sha256Hex } from '../auth/secrets.js';
import type { Database } from '../db/schema.js';
import { isoAt, type Clock } from '../db/time.js';
import { Errors } from '../errors.js';
import { recordEvent } from '../events/events.repository.js';
import { JOIN_TOKEN_PREFIX } from './join-tokens.service.js';
import { agentTokenFor, gpusFromInventory, parseGpus } from './node-records.js';
import { findNode, recordNodeChange, updateNodeGuarded } from './nodes.repository.js';

/**
 * registerNode is used by a new agent: it spends one use of a valid join token and creates the
 * node with its own credential, all in one transaction, so a refused token writes nothing.
 */
export async function registerNode(
  db: Kysely<Database>,
  clock: Clock,
  agentTokenKey: string,
  req: NodeRegisterRequest,
): Promise<NodeRegisterResponse> {
  const parts = splitToken(req.joinToken, JOIN_TOKEN_PREFIX);
  if (!parts) throw Errors.joinTokenInvalid();
  const now = isoAt(clock.now());
  const nodeId = randomUUID();
  const secret = randomSecret();
  await db.transaction().execute(async (trx) => {
    const token = await trx
      .selectFrom('join_tokens')
      .selectAll()
      .where('id', '=', parts.id)
      .executeTakeFirst();
    if (!token || !constantTimeEqual(token.secret_hash, sha256Hex(parts.secret)))
      throw Errors.joinTokenInvalid();
    // Spend one use only if the token is still valid at this instant (a conditional update, so
    // two agents racing for the last use cannot both win).
    const spent = await trx
      .updateTable('join_tokens')
      .set((eb) => ({ use_count: eb('use_count', '+', 1) }))
      .where('id', '=', token.id)
      .where('revoked_at', 'is', null)
      .where('expires_at', '>', now)
      .where((eb) => eb.or([eb('max_uses', 'is', null), eb('use_count', '<', eb.ref('max_uses'))]))
      .executeTakeFirst();
    if (spent.numUpdatedRows === 0n) throw Errors.joinTokenInvalid();
    await trx
      .insertInto('nodes')
      .values({
        id: nodeId,
        hostname: req.hostname,
        machine_id: req.machineId,
        status: 'Registering',
        schedulable: 1,
        labels: '{}',
        gpus: JSON.stringify(gpusFromInventory(req.gpus)),
        agent_version: req.agentVersion,
        address: req.address === '' ? null : req.address,
        tunnel_port: null,
        credential_hash: sha256Hex(secret),
        join_token_id: token.id,
        last_heartbeat_at: null,
        status_changed_at: now,
        created_at: now,
        updated_at: now,
        version: 1,
      })
      .execute();
    await recordNodeChange(trx, nodeId, 'ADDED');
    await recordEvent(trx, {
      kind: 'Node',
      objectId: nodeId,
      type: 'Normal',
      reason: 'Registered',
      message: `node ${req.hostname} registered with ${req.gpus.length} GPUs (agent ${req.agentVersion})`,
      at: now,
    });
  });
  return {
    nodeId,
    credential: `${NODE_CREDENTIAL_PREFIX}${nodeId}.${secret}`,
    agentToken: agentTokenFor(nodeId, agentTokenKey),
  };
}

/**
 * updateNodeSelf is used by a registered agent at each start to refresh what it reports; the
 * GPU inventory keeps the live figures of GPUs that did not change.
 */
export async function updateNodeSelf(
  db: Kysely<Database>,
  clock: Clock,
  nodeId: string,
  req: NodeSelfUpdateRequest,
): Promise<void> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = await findNode(db, nodeId);
    if (!row) throw Errors.nodeCredentialInvalid();
    const old = new Map(parseGpus(row).map((g) => [g.uuid, g]));
    const gpus = gpusFromInventory(req.gpus).map((g) => ({ ...g, ...pickLive(old.get(g.uuid)) }));
    const ok = await updateNodeGuarded(db, nodeId, row.version, {
      hostname: req.hostname,
      agent_version: req.agentVersion,
      address: req.address === '' ? null : req.address,
      gpus: JSON.stringify(gpus),
      updated_at: isoAt(clock.now()),
    });
    if (ok) return;
  }
  throw Errors.conflict('node is being updated concurrently; retry');
}

function pickLive(g: ReturnType<typeof parseGpus>[number] | undefined): object {
  if (!g) return {};
  return {
    memoryUsedMiB: g.memoryUsedMiB,
    utilizationPercent: g.utilizationPercent,
    temperatureC: g.temperatureC,
  };
}
