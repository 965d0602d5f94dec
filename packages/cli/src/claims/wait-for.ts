// Waiting for a claim to reach a phase or to be gone, from its watch stream.
import { GpuClaim, wireCheck, type ClaimPhase } from '@utopia/shared';
import type { ApiClient } from '../api/api-client.js';
import { watchStream } from '../api/watch-stream.js';
import { CliError, timeoutError } from '../errors.js';

const isClaim = wireCheck(GpuClaim);

/** WaitCondition is used for `--for phase=Running` and `--for delete`. */
export type WaitCondition = { kind: 'phase'; phase: ClaimPhase } | { kind: 'delete' };

const TERMINAL: readonly ClaimPhase[] = ['Succeeded', 'Failed'];
const POLL_MS = 3000;
const PHASES: readonly ClaimPhase[] = [
  'Pending',
  'Scheduled',
  'Running',
  'Succeeded',
  'Failed',
  'Terminating',
];

/** parseWaitCondition is used to read `--for`. */
export function parseWaitCondition(raw: string): WaitCondition | undefined {
  if (raw === 'delete') return { kind: 'delete' };
  const phase = PHASES.find((p) => raw === `phase=${p}`);
  return phase === undefined ? undefined : { kind: 'phase', phase };
}

/**
 * waitForClaim is used by `wait`, `run --wait` and `delete --wait`. It answers the claim as it was
 * when the condition held (undefined for delete); a claim that ends in another terminal phase, or
 * disappears, fails with exit 1; time running out fails with the timeout exit code.
 */
export async function waitForClaim(
  api: ApiClient,
  claimId: string,
  claimName: string,
  cond: WaitCondition,
  timeoutMs: number,
): Promise<GpuClaim | undefined> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  let result: GpuClaim | undefined;
  let failure: CliError | undefined;
  let done = false;
  // What one sighting of the claim (undefined: gone) means; true when the wait is over.
  const saw = (claim: GpuClaim | undefined): boolean => {
    if (done || failure) return true;
    if (claim === undefined) {
      if (cond.kind === 'delete') done = true;
      else failure = new CliError(`claim ${claimName} was deleted`, { code: 'NOT_FOUND' });
      return true;
    }
    const phase = claim.status.phase;
    if (cond.kind === 'phase' && phase === cond.phase) {
      result = claim;
      done = true;
      return true;
    }
    if (cond.kind === 'phase' && TERMINAL.includes(phase) && !TERMINAL.includes(cond.phase)) {
      const why = claim.status.message ?? claim.status.reason ?? '';
      failure = new CliError(`claim ${claimName} ended ${phase}${why ? `: ${why}` : ''}`, {
        code: 'CLAIM_FAILED',
      });
      return true;
    }
    return false;
  };
  // The watch stream is the fast path; a read every few seconds is the safety net, as kubectl
  // wait relists, so a stream that stalls behind a proxy cannot make the wait miss its moment.
  const poll = setInterval(() => {
    void api
      .call('GET', `/api/gpu-claims/${claimId}`, GpuClaim)
      .then(
        (claim) => saw(claim),
        (err: unknown) => (err instanceof CliError && err.status === 404 ? saw(undefined) : false),
      )
      .then((over) => {
        if (over) controller.abort();
      });
  }, POLL_MS);
  try {
    await watchStream(
      api,
      `/api/gpu-claims/${claimId}`,
      {},
      isClaim,
      (event) => {
        if (event.type === 'DELETED') return saw(undefined);
        if (event.type !== 'ADDED' && event.type !== 'MODIFIED') return false;
        return saw(event.object);
      },
      controller.signal,
    );
  } catch (err) {
    // A claim already gone before the stream opened is what `--for delete` waits for.
    if (err instanceof CliError && err.status === 404) saw(undefined);
    else if (!controller.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    clearInterval(poll);
  }
  if (failure) throw failure;
  if (done) return result;
  const what = cond.kind === 'delete' ? 'to be deleted' : `phase ${cond.phase}`;
  throw timeoutError(
    `timed out after ${formatMs(timeoutMs)} waiting for claim ${claimName} ${what}`,
  );
}

function formatMs(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`;
}
