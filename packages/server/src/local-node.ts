import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { RegistrationError, startAgent, validateSettings, type RunningAgent } from '@utopia/agent';
import type { Logger } from 'pino';
import type { AppContext } from './context.js';
import { createJoinToken } from './nodes/join-tokens.service.js';

/**
 * startLocalNode is used by `npm start` (--local-agent N): a utopia-agent with N simulated GPUs in
 * this process, registered like any other node, so a fresh install has somewhere to run claims.
 * Containers run on the local Docker Engine; without one, claims fail with the agent's reason.
 */
export async function startLocalNode(
  ctx: AppContext,
  serverUrl: string,
  gpus: number,
  logger: Logger,
): Promise<RunningAgent> {
  const dataDir = join(ctx.config.dataDir, 'local-node');
  const { token } = await createJoinToken(ctx.db.kysely, ctx.clock, 'system', {
    description: 'local simulated node',
    expiresInHours: 1,
    maxUses: 1,
  });
  const config = validateSettings(
    {
      serverUrl,
      joinToken: token,
      dataDir,
      listen: '127.0.0.1:0',
      tunnel: 'direct',
      simulateGpus: String(gpus),
      containerNetwork: 'none',
      logLevel: ctx.config.logLevel,
    },
    dataDir,
  );
  // The local node answers the server's polls every few seconds: keep its request log quiet.
  const agentLogger = logger.child({ component: 'local-node' }, { level: 'warn' });
  try {
    return await startAgent(config, { logger: agentLogger, hostname: 'local-node' });
  } catch (e) {
    // Our own node, known to an older database: forget the stale identity and join again.
    if (!(e instanceof RegistrationError)) throw e;
    rmSync(config.identityFile, { force: true });
    return startAgent(config, { logger: agentLogger, hostname: 'local-node' });
  }
}
