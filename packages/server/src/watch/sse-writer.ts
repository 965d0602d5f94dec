import type { ServerResponse } from 'node:http';
import { formatSse, formatSseComment, type SseMessage } from '@utopia/shared';

/** SseWriter is used to write one event stream, one event at a time, at the client's pace. */
export interface SseWriter {
  /** Aborted when the stream ends, whoever ends it. */
  readonly signal: AbortSignal;
  /** send is used to write an event; false means the stream has ended. */
  send(message: SseMessage): Promise<boolean>;
  /** comment is used for heartbeats. */
  comment(text: string): Promise<boolean>;
  /** close is used to end the stream normally. */
  close(): void;
}

/**
 * openSse is used on a hijacked reply: it sends the event-stream headers at once (so a client
 * and any proxy see the stream start) and then writes events. A write the client does not take
 * within `stallMs` ends the stream, so a stuck or very slow client holds neither memory nor a
 * stream; it reconnects with Last-Event-ID and misses nothing.
 */
export function openSse(res: ServerResponse, opts: { stallMs: number }): SseWriter {
  const ended = new AbortController();
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    // nginx and similar proxies buffer responses unless told not to.
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  res.on('close', () => ended.abort());
  res.on('error', () => ended.abort());

  async function write(chunk: string): Promise<boolean> {
    if (ended.signal.aborted) return false;
    if (res.write(chunk)) return true;
    if (await drained(res, opts.stallMs, ended.signal)) return true;
    ended.abort();
    res.destroy();
    return false;
  }

  return {
    signal: ended.signal,
    send: (message) => write(formatSse(message)),
    comment: (text) => write(formatSseComment(text)),
    close() {
      if (ended.signal.aborted) return;
      ended.abort();
      res.end();
    },
  };
}

function drained(res: ServerResponse, ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      res.off('drain', onDrain);
      signal.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onAbort = (): void => done(false);
    const timer = setTimeout(() => done(false), ms);
    res.on('drain', onDrain);
    signal.addEventListener('abort', onAbort);
  });
}
