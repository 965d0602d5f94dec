import type { Migration } from 'kysely';
import * as initial from './001-initial.js';
import * as columnSizes from './002-column-sizes.js';
import * as claimIntentAndPlacement from './003-claim-intent-and-placement.js';
import * as userTokenGeneration from './004-user-token-generation.js';
import * as resourceChanges from './005-resource-changes.js';
import * as proxyTickets from './008-proxy-tickets.js';
import * as storageAndLimits from './006-storage-and-limits.js';
import * as nodeGpuInjection from './009-node-gpu-injection.js';
import * as leaseGeneration from './010-lease-generation.js';
import * as nodeDockerProblem from './011-node-docker-problem.js';
import * as changeLeaseGeneration from './012-change-lease-generation.js';

/** MIGRATIONS is used to apply the schema in order; never edit one that has shipped, add another. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '001-initial': initial,
  '002-column-sizes': columnSizes,
  '003-claim-intent-and-placement': claimIntentAndPlacement,
  '004-user-token-generation': userTokenGeneration,
  '005-resource-changes': resourceChanges,
  '008-proxy-tickets': proxyTickets,
  '006-storage-and-limits': storageAndLimits,
  '009-node-gpu-injection': nodeGpuInjection,
  '010-lease-generation': leaseGeneration,
  '011-node-docker-problem': nodeDockerProblem,
  '012-change-lease-generation': changeLeaseGeneration,
};

/** LATEST_MIGRATION is used by /readyz to check that the schema is current (names sort in order). */
export const LATEST_MIGRATION: string = Object.keys(MIGRATIONS).sort().at(-1) ?? '';
