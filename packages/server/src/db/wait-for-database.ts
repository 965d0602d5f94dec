// A replica started while its database is down (a host reboot, MariaDB restarting after a crash)
// waits for it instead of exiting: it retries what is worth retrying, with capped exponential
// backoff, and gives up at once on what no retry can fix (bad credentials, no such database).
import { setTimeout as sleep } from 'node:timers/promises';
import { migrateToLatest, openDatabase, type Db, type OpenDatabaseOptions } from './database.js';

// The database is not there yet, or went away mid-way: a later try may succeed. Anything else
// (ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, a bad path for SQLite, a failed migration)
// is a mistake an operator has to fix.
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // DNS: the database's name may not resolve until its container or service is up.
  'ENOTFOUND',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_SERVER_SHUTDOWN',
]);

/** isTransientConnectError is used to tell "not reachable yet" from a permanent mistake. */
export function isTransientConnectError(e: unknown): boolean {
  for (let cause = e, depth = 0; depth < 5; depth += 1) {
    if (typeof cause !== 'object' || cause === null) return false;
    if ('code' in cause && typeof cause.code === 'string' && TRANSIENT_CODES.has(cause.code))
      return true;
    cause = 'cause' in cause ? cause.cause : undefined;
  }
  return false;
}

function errorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string'
    ? e.code
    : undefined;
}

/** DatabaseRetry is used to log one failed try: which one, why, and when the next comes. */
export interface DatabaseRetry {
  attempt: number;
  retryInMs: number;
  code: string | undefined;
  message: string;
}

/** WaitForDatabaseOptions is used to hear of each retry and to shorten the delays in tests. */
export interface WaitForDatabaseOptions extends OpenDatabaseOptions {
  onRetry: (retry: DatabaseRetry) => void;
  initialDelayMs?: number;
  maxDelayMs?: number;
}

export const INITIAL_DELAY_MS = 250;
export const MAX_DELAY_MS = 5000;

/**
 * openMigratedDatabase is used at start: open the database and migrate it, trying again while
 * the failure is transient (the whole step: a database that dies during the migration is
 * retried like one that was not up yet; migrations are recorded one by one, so a retry goes on
 * where the last try stopped). It waits as long as it takes, as a supervisor would restart it;
 * every retry is logged, so an operator sees why a replica is not up.
 */
export async function openMigratedDatabase(url: string, opts: WaitForDatabaseOptions): Promise<Db> {
  const maxDelayMs = opts.maxDelayMs ?? MAX_DELAY_MS;
  let delayMs = opts.initialDelayMs ?? INITIAL_DELAY_MS;
  for (let attempt = 1; ; attempt += 1) {
    let db: Db | undefined;
    try {
      db = await openDatabase(url, opts);
      await migrateToLatest(db);
      return db;
    } catch (e) {
      await db?.close().catch(() => {});
      if (!isTransientConnectError(e)) throw permanent(e);
      const message = e instanceof Error ? e.message : String(e);
      opts.onRetry({ attempt, retryInMs: delayMs, code: errorCode(e), message });
      await sleep(delayMs);
      delayMs = Math.min(delayMs * 2, maxDelayMs);
    }
  }
}

function permanent(e: unknown): Error {
  const message = e instanceof Error ? e.message : String(e);
  return new Error(
    `cannot use the database (not retried: ${errorCode(e) ?? 'error'}): ${message}`,
    {
      cause: e,
    },
  );
}
