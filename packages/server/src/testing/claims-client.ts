// Small helpers for tests that drive claims through the public API.
import type { GpuClaim } from '@utopia/shared';
import { TEST_IMAGE, waitFor } from './cluster.js';
import type { TestServer } from './harness.js';

/** createClaimAs is used to POST a claim and return it (throws on a non-201). */
export async function createClaimAs(
  t: Pick<TestServer, 'api'>,
  token: string,
  body: unknown,
): Promise<GpuClaim> {
  const res = await t.api('POST', '/api/gpu-claims', { token, body });
  if (res.status !== 201)
    throw new Error(`create claim: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as GpuClaim;
}

/** getClaimAs is used to read a claim, or undefined once it is gone. */
export async function getClaimAs(
  t: Pick<TestServer, 'api'>,
  token: string,
  id: string,
): Promise<GpuClaim | undefined> {
  const res = await t.api('GET', `/api/gpu-claims/${id}`, { token });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`get claim: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as GpuClaim;
}

/** waitForClaim is used to wait until a claim satisfies a condition. */
export function waitForClaim(
  t: Pick<TestServer, 'api'>,
  token: string,
  id: string,
  what: string,
  ok: (c: GpuClaim) => boolean,
  timeoutMs = 15_000,
): Promise<GpuClaim> {
  let last: GpuClaim | undefined;
  const check = async (): Promise<GpuClaim | undefined> => {
    const c = await getClaimAs(t, token, id);
    if (!c) throw new Error('claim is gone');
    last = c;
    return ok(c) ? c : undefined;
  };
  return waitFor(`claim ${id} ${what}`, check, timeoutMs).catch((e: unknown) => {
    const events = last?.events?.map((x) => `${x.reason}: ${x.message}`).join(' | ');
    const state = `${last?.status.phase} (${last?.status.reason}: ${last?.status.message})`;
    throw new Error(`${String(e)}; last seen ${state}; events: ${events}`);
  });
}

/** waitForPhase is used to wait for a claim's phase. */
export function waitForPhase(
  t: Pick<TestServer, 'api'>,
  token: string,
  id: string,
  phase: GpuClaim['status']['phase'],
  timeoutMs?: number,
): Promise<GpuClaim> {
  return waitForClaim(
    t,
    token,
    id,
    `in phase ${phase}`,
    (c) => c.status.phase === phase,
    timeoutMs,
  );
}

/** waitForGone is used to wait until a deleted claim has disappeared. */
export function waitForGone(
  t: Pick<TestServer, 'api'>,
  token: string,
  id: string,
  timeoutMs = 15_000,
): Promise<true> {
  return waitFor(
    `claim ${id} to disappear`,
    async () => ((await getClaimAs(t, token, id)) === undefined ? true : undefined),
    timeoutMs,
  );
}

/** sleeperClaim is used for a claim whose container just sleeps, with spec fields to add. */
export function sleeperClaim(
  gpuCount: number,
  extra: object = {},
): { spec: Record<string, unknown> } {
  return {
    spec: { image: TEST_IMAGE, resources: { gpuCount }, command: ['sleep', '3600'], ...extra },
  };
}
