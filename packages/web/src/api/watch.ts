// Watch streams (docs/api.md, "Watch") read with fetch, because EventSource cannot send an
// Authorization header. The picture is rebuilt from each list (ADDED… SNAPSHOT_END), kept
// current by every change, and resumed after a drop with Last-Event-ID, as EventSource would.
import { decodeWatchEvent, SseParser } from '@utopia/shared';
import { ApiError, authHeaders, errorOf, fetchApi } from './client.js';

/** WatchHandlers is used to receive a stream's picture and its health. */
export interface WatchHandlers<T> {
  /** The whole current picture, after the list and after every change. */
  onItems(items: T[]): void;
  /** null when the stream is healthy again. */
  onError(error: ApiError | null): void;
}

const RETRY_MS = [500, 1000, 2000, 5000];

/**
 * watchList is used to follow a list (`/api/gpu-claims?watch=1`, `/api/nodes?watch=1`). It
 * answers a function that stops the stream.
 */
export function watchList<T extends { id: string }>(
  url: string,
  isObject: (v: unknown) => v is T,
  handlers: WatchHandlers<T>,
): () => void {
  const abort = new AbortController();
  const items = new Map<string, T>();
  let lastEventId = '';
  let failures = 0;

  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      try {
        await readOnce();
        failures = 0;
      } catch (e) {
        if (abort.signal.aborted) return;
        // A stream cut mid-read (server stopped) is a network failure like a refused connect.
        handlers.onError(
          e instanceof ApiError ? e : new ApiError(0, 'NETWORK', 'The server cannot be reached.'),
        );
        // A dropped session ends the app's session too: signing in starts new streams.
        if (e instanceof ApiError && e.status === 401) return;
      }
      const wait = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)] ?? 5000;
      await new Promise((r) => setTimeout(r, wait));
    }
  };

  const readOnce = async (): Promise<void> => {
    const headers: Record<string, string> = { ...authHeaders(), accept: 'text/event-stream' };
    if (lastEventId) headers['last-event-id'] = lastEventId;
    const res = await fetchApi(url, { headers, signal: abort.signal });
    if (!res.ok || !res.body) throw await errorOf(res);
    const parser = new SseParser();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let listing = lastEventId === '';
    if (listing) items.clear();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const message of parser.push(value)) {
        const event = decodeWatchEvent(message, isObject);
        if (!event) continue;
        if (event.type === 'RESYNC') {
          items.clear();
          listing = true;
          continue;
        }
        if (event.type === 'SNAPSHOT_END') {
          listing = false;
          handlers.onError(null);
        } else if (event.type === 'DELETED') items.delete(event.object.id);
        else if (event.type === 'ADDED' || event.type === 'MODIFIED')
          items.set(event.object.id, event.object);
        if (!listing) handlers.onItems([...items.values()]);
      }
      lastEventId = parser.lastEventId;
    }
  };

  void run();
  return () => abort.abort();
}
