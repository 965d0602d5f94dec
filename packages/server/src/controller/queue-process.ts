// Workers for a WorkQueue, with controller-runtime's outcome contract: success forgets the key's
// backoff, a requested poll re-adds it after a delay, a failure retries with backoff unless the
// error says it is permanent. done() always runs, so a key is never stuck "processing".
import type { WorkQueue } from './queue.js';

/** ReconcileResult is used by a reconcile function to ask for a poll after `requeueAfterMs`. */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

/** Reconcile is used to bring one key's actual state to its desired state. */
export type Reconcile = (key: string) => Promise<ReconcileResult>;

/** OnReconcileError is used to log a failed reconcile; `willRetry` is false for permanent errors. */
export type OnReconcileError = (key: string, error: unknown, willRetry: boolean) => void;

/** isPermanentError is used to tell errors that retrying cannot fix (they carry `permanent: true`). */
export function isPermanentError(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && 'permanent' in error && error.permanent === true
  );
}

/**
 * processQueue is used to run `concurrency` workers until the queue shuts down; it resolves when
 * every worker has finished its current key. At most `concurrency` reconciles run at once.
 */
export async function processQueue(
  queue: WorkQueue,
  concurrency: number,
  reconcile: Reconcile,
  onError: OnReconcileError,
): Promise<void> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  }
  const worker = async (): Promise<void> => {
    for (let key = await queue.get(); key !== undefined; key = await queue.get()) {
      await processKey(queue, key, reconcile, onError);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** processKey is used to run one reconcile and apply the outcome contract to the queue. */
export async function processKey(
  queue: WorkQueue,
  key: string,
  reconcile: Reconcile,
  onError: OnReconcileError,
): Promise<void> {
  try {
    const result = await reconcile(key);
    queue.forget(key);
    // `?.`: a plain-JS reconcile that resolves nothing still counts as a success.
    const after = result?.requeueAfterMs;
    if (after !== undefined) queue.addAfter(key, after);
  } catch (error) {
    const willRetry = !isPermanentError(error);
    if (willRetry) queue.addRateLimited(key);
    else queue.forget(key);
    report(onError, key, error, willRetry);
  } finally {
    queue.done(key);
  }
}

function report(onError: OnReconcileError, key: string, error: unknown, willRetry: boolean): void {
  try {
    onError(key, error, willRetry);
  } catch {
    // The error hook is the logger; if it throws there is nowhere left to report to, and letting
    // it escape would kill the worker and silently shrink the pool.
  }
}
