import { join } from 'node:path';
import type { TunnelOffer } from '@utopia/shared';
import { findFreePort, resolveFrpBinary } from '@utopia/frp';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { NODE_CREDENTIAL_PREFIX } from '../auth/principal.js';
import { constantTimeEqual, sha256Hex } from '../auth/secrets.js';
import type { FrpConfig } from '../config/config.js';
import { loadOrCreateSecret } from '../db/secrets.repository.js';
import { redactSecrets } from '../http/log-redaction.js';
import type { Database } from '../db/schema.js';
import {
  createFrpsAdminClient,
  matchControlTunnels,
  type FrpsAdminClient,
} from './frps-admin.client.js';
import { FRP_PLUGIN_PATH } from './frps-config.js';
import { createFrpsSupervisor, type FrpsSupervisor } from './frps-supervisor.js';
import type { FrpPluginLookup } from './frp-plugin.js';

/** Tunnel is used by the server to offer agents the frp tunnel and to find their tunnel ports. */
export interface Tunnel {
  /** What agents are told at registration. */
  readonly offer: TunnelOffer;
  /** The secret path segment frps must call the plugin route with. */
  readonly pluginKey: string;
  readonly lookup: FrpPluginLookup;
  readonly allowPorts: FrpConfig['allowPorts'];
  /** Node id → tunnel port for every online control tunnel; undefined when frps cannot be read. */
  discover(): Promise<Map<string, number> | undefined>;
  /** Starts frps (supervised mode) once the server listens, since frps calls back into it. */
  start(serverPort: number): Promise<void>;
  stop(): Promise<void>;
  /** The supervised frps process, if any (tests kill it to prove it comes back). */
  frpsPid(): number | undefined;
}

/** createTunnel is used at start when UTOPIA_FRP_MODE is supervised or external. */
export async function createTunnel(
  db: Kysely<Database>,
  cfg: FrpConfig,
  dataDir: string,
  logger: Logger,
): Promise<Tunnel> {
  const token = cfg.token ?? (await loadOrCreateSecret(db, 'frp_token'));
  const pluginKey = await loadOrCreateSecret(db, 'frp_plugin_key');
  const adminPassword = cfg.adminPassword ?? (await loadOrCreateSecret(db, 'frps_admin_password'));
  const bindPort =
    cfg.mode === 'supervised' && cfg.bindPort === 0 ? await findFreePort('0.0.0.0') : cfg.bindPort;
  const adminPort = cfg.mode === 'supervised' ? await findFreePort() : 0;
  const adminUrl =
    cfg.mode === 'supervised' ? `http://127.0.0.1:${adminPort}` : (cfg.adminUrl ?? '');
  const admin: FrpsAdminClient = createFrpsAdminClient({
    baseUrl: adminUrl,
    user: cfg.adminUser,
    password: adminPassword,
  });
  let frps: FrpsSupervisor | undefined;
  const log = logger.child({ component: 'frps' });

  return {
    offer: { frpServerPort: bindPort, frpToken: token },
    pluginKey,
    allowPorts: cfg.allowPorts,
    lookup: createPluginLookup(db),
    async discover() {
      try {
        return matchControlTunnels(await admin.listTcpProxies());
      } catch (e) {
        log.warn({ err: e instanceof Error ? e.message : e }, 'could not read the frps admin API');
        return undefined;
      }
    },
    async start(serverPort) {
      if (cfg.mode !== 'supervised') return;
      frps = createFrpsSupervisor({
        binaryPath: await resolveFrpBinary('frps', cfg.frpsBin),
        configDir: join(dataDir, 'frps'),
        config: {
          bindPort,
          authToken: token,
          allowPorts: cfg.allowPorts,
          webServer: { port: adminPort, user: cfg.adminUser, password: adminPassword },
          pluginPort: serverPort,
          pluginPath: `${FRP_PLUGIN_PATH}/${pluginKey}`,
        },
        // frps quotes the plugin URL, key included, when a plugin call fails.
        log: (level, message) =>
          log[level](redactSecrets(message, [pluginKey, token, adminPassword])),
      });
      frps.onStart(({ pid, starts }) => log.info({ pid, starts }, 'frps running'));
      frps.start();
    },
    async stop() {
      await frps?.stop();
    },
    frpsPid: () => frps?.pid,
  };
}

/** createPluginLookup is used by the frps plugin: a node proves itself with its own credential. */
function createPluginLookup(db: Kysely<Database>): FrpPluginLookup {
  return {
    async verifyNodeCredential(nodeId, credential) {
      const prefix = `${NODE_CREDENTIAL_PREFIX}${nodeId}.`;
      if (!credential.startsWith(prefix)) return false;
      const node = await db
        .selectFrom('nodes')
        .select('credential_hash')
        .where('id', '=', nodeId)
        .executeTakeFirst();
      return (
        node !== undefined &&
        constantTimeEqual(node.credential_hash, sha256Hex(credential.slice(prefix.length)))
      );
    },
    async allowedProxies() {
      return [{ name: 'control' }];
    },
  };
}
