// Claims are addressed by name or id, as kubectl addresses pods by name.
import { ClaimList, GpuClaim } from '@utopia/shared';
import type { ApiClient } from '../api/api-client.js';
import { CliError } from '../errors.js';

const CLAIM_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** findClaim is used to look a claim up; undefined when there is none (or it is not yours). */
export async function findClaim(
  api: ApiClient,
  nameOrId: string,
  owner?: string,
): Promise<GpuClaim | undefined> {
  if (CLAIM_NAME.test(nameOrId) && nameOrId.length <= 63) {
    const list = await api.call('GET', '/api/gpu-claims', ClaimList, {
      query: { name: nameOrId, owner, limit: 2 },
    });
    if (list.items.length > 1)
      throw new CliError(
        `${list.items.length} claims are named ${nameOrId} (owners ${list.items.map((c) => c.owner).join(', ')}): give --owner or the claim's id`,
        { code: 'AMBIGUOUS' },
      );
    if (list.items[0]) return list.items[0];
  }
  if (!ID.test(nameOrId)) return undefined;
  try {
    return await api.call('GET', `/api/gpu-claims/${encodeURIComponent(nameOrId)}`, GpuClaim);
  } catch (err) {
    if (err instanceof CliError && err.status === 404) return undefined;
    throw err;
  }
}

/** getClaim is used where the claim must exist: NOT_FOUND otherwise. */
export async function getClaim(
  api: ApiClient,
  nameOrId: string,
  owner?: string,
): Promise<GpuClaim> {
  const claim = await findClaim(api, nameOrId, owner);
  if (claim === undefined)
    throw new CliError(`claim ${nameOrId} not found`, { code: 'NOT_FOUND', status: 404 });
  return claim;
}

/** getClaimWithEvents is used by describe: GET by id answers the events too. */
export async function getClaimWithEvents(
  api: ApiClient,
  nameOrId: string,
  owner?: string,
): Promise<GpuClaim> {
  const claim = await getClaim(api, nameOrId, owner);
  return claim.events ? claim : api.call('GET', `/api/gpu-claims/${claim.id}`, GpuClaim);
}
