// The last run's output of each claim, kept on the agent after a restart removed its container
// (the server restarts a claim by removing the exited container and creating a new one).
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

/** PREVIOUS_LOG_MAX_BYTES is used to bound each claim's saved log: its last 2 MiB are kept. */
export const PREVIOUS_LOG_MAX_BYTES = 2 * 1024 * 1024;
/** PREVIOUS_LOG_TAIL_LINES is used as the tail asked of Docker when a run's log is saved. */
export const PREVIOUS_LOG_TAIL_LINES = 10_000;

const CLAIM_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** PreviousLogQuery is used to pick lines of a saved log as Docker would from a live one. */
export interface PreviousLogQuery {
  tail: number | undefined;
  /** Unix seconds. */
  since: number | undefined;
  timestamps: boolean;
}

/**
 * PreviousLogStore is used to keep, per claim, the tail of its last container's log in one file
 * (0600 in a 0700 directory: logs may hold secrets). Lines are stored with Docker's timestamps so
 * `since` and `timestamps` work on them as on a live log.
 */
export class PreviousLogStore {
  readonly #dir: string;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** save is used to replace a claim's saved log with what `source` yields (its last 2 MiB). */
  async save(claimId: string, source: AsyncIterable<Buffer>): Promise<void> {
    const file = this.#file(claimId);
    if (!file) return;
    const kept = await lastBytes(source, PREVIOUS_LOG_MAX_BYTES);
    await mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await chmod(this.#dir, 0o700);
    const tmp = `${file}.tmp`;
    await writeFile(tmp, kept, { mode: 0o600 });
    await rename(tmp, file);
  }

  /** open is used to read a claim's saved log; undefined when there is none. */
  async open(claimId: string, query: PreviousLogQuery): Promise<Readable | undefined> {
    const file = this.#file(claimId);
    if (!file) return undefined;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    return Readable.from([selectLines(text, query)]);
  }

  /** remove is used when the claim's container goes for good (deleted, moved, node deleted). */
  async remove(claimId: string): Promise<void> {
    const file = this.#file(claimId);
    if (file) await rm(file, { force: true });
  }

  /**
   * prune is used to drop saved logs of claims that have had no container here for longer than
   * `graceMs`: a restarting claim gets its next container within the restart backoff (5 min at
   * most), so an older file belongs to a claim deleted or moved while its container was gone.
   */
  async prune(live: ReadonlySet<string>, graceMs: number, now = Date.now()): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return;
    }
    for (const name of names) {
      const claimId = name.replace(/\.log(\.tmp)?$/, '');
      if (live.has(claimId)) continue;
      const path = join(this.#dir, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > graceMs) await rm(path, { force: true });
    }
  }

  /** clear is used when every container of the node goes (the node was deleted). */
  async clear(): Promise<void> {
    await rm(this.#dir, { recursive: true, force: true });
  }

  #file(claimId: string): string | undefined {
    return CLAIM_ID.test(claimId) ? join(this.#dir, `${claimId}.log`) : undefined;
  }
}

/** lastBytes is used to keep only the end of a stream, from a line start, in bounded memory. */
async function lastBytes(source: AsyncIterable<Buffer>, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;
  for await (const chunk of source) {
    chunks.push(chunk);
    size += chunk.length;
    while (size > max && chunks.length > 0) {
      const first = chunks[0] ?? Buffer.alloc(0);
      const over = size - max;
      if (first.length <= over) {
        chunks.shift();
        size -= first.length;
      } else {
        chunks[0] = first.subarray(over);
        size -= over;
      }
      dropped = true;
    }
  }
  const all = Buffer.concat(chunks);
  if (!dropped) return all;
  const newline = all.indexOf(0x0a);
  return newline < 0 ? Buffer.alloc(0) : all.subarray(newline + 1);
}

/** selectLines is used to apply since, tail and timestamps to "<RFC3339Nano> <line>" lines. */
export function selectLines(text: string, query: PreviousLogQuery): string {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const sinceMs = query.since === undefined ? undefined : query.since * 1000;
  let picked = lines.filter((line) => {
    if (sinceMs === undefined) return true;
    const at = Date.parse(line.slice(0, line.indexOf(' ')));
    return !Number.isFinite(at) || at >= sinceMs;
  });
  if (query.tail !== undefined) picked = query.tail === 0 ? [] : picked.slice(-query.tail);
  if (!query.timestamps) picked = picked.map((line) => line.slice(line.indexOf(' ') + 1));
  return picked.map((line) => `${line}\n`).join('');
}
