import type { Migration } from 'kysely';
import * as initial from './001-initial.js';
import * as claimIntentAndPlacement from './003-claim-intent-and-placement.js';
import * as userTokenGeneration from './004-user-token-generation.js';
import * as resourceChanges from './005-resource-changes.js';

/** MIGRATIONS is used to apply the schema in order; never edit one that has shipped, add another. */
export const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '001-initial': initial,
  '003-claim-intent-and-placement': claimIntentAndPlacement,
  '004-user-token-generation': userTokenGeneration,
  '005-resource-changes': resourceChanges,
};

/** LATEST_MIGRATION is used by /readyz to check that the schema is current. */
export const LATEST_MIGRATION = '005-resource-changes';
