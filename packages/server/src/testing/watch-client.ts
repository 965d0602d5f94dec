// A watch client for tests: opens a text/event-stream over real HTTP and collects its events.
import { GpuClaim, Node, SseParser, type SseMessage } from '@utopia/shared';
import { compileCheck } from '../http/validation.js';
import type { TestServer } from './harness.js';

/** isGpuClaim and isNode are used to check the objects of watch events. */
export const isGpuClaim = compileCheck(GpuClaim);
export const isNode = compileCheck(Node);

/** WatchClient is used by tests to read one open watch stream. */
export interface WatchClient {
  status: number;
  headers: Headers;
  /** Every event received so far, in order. */
  events: SseMessage[];
  /** The stream's raw text so far (comments included). */
  text(): string;
  lastEventId(): string;
  /** next is used to wait for the first event from `from` on that satisfies `ok`. */
  waitFor(what: string, ok: (e: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

/** WatchRefusal is used when the server answers a watch request with an error instead. */
export interface WatchRefusal {
  status: number;
  json: Record<string, unknown>;
}

/** openWatch is used to start a watch; it answers once the response headers arrive. */
export async function openWatch(
  t: Pick<TestServer, 'url'>,
  path: string,
  opts: { token?: string; lastEventId?: string } = {},
): Promise<WatchClient | WatchRefusal> {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
  if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
  const abort = new AbortController();
  const res = await fetch(`${t.url}${path}`, { headers, signal: abort.signal });
  if (res.status !== 200 || !res.body) {
    const body: unknown = await res.json().catch(() => ({}));
    const json =
      typeof body === 'object' && body !== null ? Object.fromEntries(Object.entries(body)) : {};
    return { status: res.status, json };
  }
  const parser = new SseParser();
  const events: SseMessage[] = [];
  let raw = '';
  const listeners = new Set<() => void>();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        raw += value;
        events.push(...parser.push(value));
        listeners.forEach((l) => l());
      }
    } catch {
      // aborted by close(), or the connection was cut: the stream has ended either way
    } finally {
      listeners.forEach((l) => l());
    }
  })();
  let finished = false;
  void ended.then(() => (finished = true));
  return {
    status: res.status,
    headers: res.headers,
    events,
    text: () => raw,
    lastEventId: () => parser.lastEventId,
    ended,
    close: () => abort.abort(),
    waitFor(what, ok, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const hit = events.find(ok);
          if (hit) return done(() => resolve(hit));
          if (finished) return done(() => reject(new Error(`stream ended before ${what}`)));
        };
        const timer = setTimeout(
          () =>
            done(() => reject(new Error(`timed out waiting for ${what}; got ${describe(events)}`))),
          timeoutMs,
        );
        const done = (then: () => void): void => {
          clearTimeout(timer);
          listeners.delete(check);
          then();
        };
        listeners.add(check);
        check();
      });
    },
  };
}

/** isWatchClient is used to tell an open stream from a refusal. */
export function isWatchClient(w: WatchClient | WatchRefusal): w is WatchClient {
  return 'events' in w;
}

/** mustWatch is used where the test expects the stream to open. */
export async function mustWatch(
  t: Pick<TestServer, 'url'>,
  path: string,
  opts: { token?: string; lastEventId?: string } = {},
): Promise<WatchClient> {
  const w = await openWatch(t, path, opts);
  if (!isWatchClient(w)) throw new Error(`watch ${path}: ${w.status} ${JSON.stringify(w.json)}`);
  return w;
}

function describe(events: readonly SseMessage[]): string {
  return events.map((e) => `${e.id ?? '-'}:${e.event}`).join(' ') || 'nothing';
}
