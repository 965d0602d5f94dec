import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TunnelOffer } from '@utopia/shared';
import { findFreePort, resolveFrpBinary } from '@utopia/frp';
import type { AgentConfig } from '../config/agent-config.js';
import type { AgentLogger } from '../logger.js';
import type { AgentIdentity } from '../registration/identity-store.js';
import { createFrpcSupervisor, type FrpcSupervisor } from './frpc-supervisor.js';

/** wantsTunnel is used to decide between the frp tunnel and direct mode, once the server has answered. */
export function wantsTunnel(config: AgentConfig, offer: TunnelOffer | undefined): boolean {
  if (config.tunnel === 'direct') return false;
  if (offer) return true;
  if (config.tunnel === 'frp') {
    throw new Error(
      '--tunnel frp, but the server runs no frp tunnel (start it with UTOPIA_FRP_MODE=supervised)',
    );
  }
  return false;
}

/**
 * openTunnel is used after registration: it runs frpc with a `control` tunnel to the agent's API,
 * named after this node and carrying its own credential for the server's frps plugin. frpc is
 * supervised (restarted with backoff when it exits) until the agent stops.
 */
export async function openTunnel(
  config: AgentConfig,
  identity: AgentIdentity,
  offer: TunnelOffer,
  agentPort: number,
  logger: AgentLogger,
): Promise<FrpcSupervisor> {
  const binaryPath = await resolveFrpBinary('frpc', config.frpcBin);
  const supervisor = createFrpcSupervisor({
    binaryPath,
    configDir: join(config.dataDir, 'frpc'),
    config: {
      serverAddr: config.frpServerAddr,
      serverPort: config.frpServerPort ?? offer.frpServerPort,
      nodeId: identity.nodeId,
      authToken: offer.frpToken,
      nodeCredential: identity.credential,
      agentPort,
      adminPort: await findFreePort(),
      adminPassword: randomBytes(18).toString('base64url'),
    },
    log: (level, message) => logger[level]({ component: 'frpc' }, message),
  });
  supervisor.start();
  logger.info(
    { frps: `${config.frpServerAddr}:${config.frpServerPort ?? offer.frpServerPort}` },
    'frp tunnel started',
  );
  return supervisor;
}
