// Reading a `?watch=1` stream (docs/api.md, "Watch"): decode each event, and reconnect with
// Last-Event-ID when the connection drops, so nothing is missed and nothing comes twice.
import { decodeWatchEvent, SseParser, type WatchEvent } from '@utopia/shared';
import type { ApiClient, QueryValue } from './api-client.js';

/** WatchHandler is used for each event; answer true to stop watching. */
export type WatchHandler<T> = (event: WatchEvent<T>) => boolean | void;

const RECONNECT_DELAY_MS = 1000;

/**
 * watchStream is used by `get -w`, `wait` and `run --wait`. It ends when the handler says so, when
 * the signal aborts, or when the server ends a one-object stream (after DELETED).
 */
export async function watchStream<T>(
  api: ApiClient,
  path: string,
  query: Record<string, QueryValue>,
  isObject: (value: unknown) => value is T,
  onEvent: WatchHandler<T>,
  signal: AbortSignal,
): Promise<void> {
  let lastEventId = '';
  for (;;) {
    const parser = new SseParser();
    let sawDeleted = false;
    const res = await api.send('GET', path, {
      query: { ...query, watch: 1 },
      headers: lastEventId === '' ? {} : { 'last-event-id': lastEventId },
      signal,
    });
    if (!res.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body) {
        for (const message of parser.push(decoder.decode(chunk, { stream: true }))) {
          const event = decodeWatchEvent(message, isObject);
          if (event === undefined) continue;
          if (event.type === 'DELETED') sawDeleted = true;
          if (onEvent(event) === true) {
            await res.body.cancel().catch(() => undefined);
            return;
          }
        }
        lastEventId = parser.lastEventId;
      }
    } catch (err) {
      if (signal.aborted) return;
      // A dropped connection: resume below.
      void err;
    }
    if (signal.aborted || sawDeleted) return;
    await new Promise((r) => setTimeout(r, RECONNECT_DELAY_MS));
    if (signal.aborted) return;
  }
}
