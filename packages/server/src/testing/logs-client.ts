// A client for GET /api/gpu-claims/:id/logs in tests: read it whole, or follow it chunk by chunk.
import type { TestServer } from './harness.js';

/** LogStream is used to read a followed log as it comes, and to know when it ended. */
export interface LogStream {
  status: number;
  /** Everything received so far. */
  text(): string;
  bytes(): number;
  /** Resolves when the server ended the answer (true) or it failed (false). */
  ended: Promise<boolean>;
  /** waitFor is used to wait until the received text matches. */
  waitFor(what: string, ok: (text: string) => boolean, timeoutMs?: number): Promise<void>;
  /** pause and resume stop and restart reading (a slow client). */
  pause(): void;
  resume(): void;
  close(): void;
}

/** logsPath is used to build the route's URL with a query. */
export function logsPath(claimId: string, query: Record<string, string> = {}): string {
  const q = new URLSearchParams(query).toString();
  return `/api/gpu-claims/${claimId}/logs${q ? `?${q}` : ''}`;
}

/** openLogs is used to start reading a log; the text is kept (up to keepBytes) as it arrives. */
export async function openLogs(
  t: TestServer,
  token: string,
  path: string,
  keepBytes = 1024 * 1024,
): Promise<LogStream> {
  const abort = new AbortController();
  const res = await fetch(`${t.url}${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: abort.signal,
  });
  let kept = '';
  let count = 0;
  let paused = false;
  let wake: (() => void) | undefined;
  const decoder = new TextDecoder();
  const reader = res.body?.getReader();
  const ended = (async (): Promise<boolean> => {
    if (!reader) return true;
    try {
      for (;;) {
        while (paused) await new Promise<void>((r) => (wake = r));
        const { done, value } = await reader.read();
        if (done) return true;
        count += value.length;
        if (kept.length < keepBytes) kept += decoder.decode(value, { stream: true });
      }
    } catch {
      return false;
    }
  })();
  return {
    status: res.status,
    text: () => kept,
    bytes: () => count,
    ended,
    async waitFor(what, ok, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (!ok(kept)) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(kept.slice(-500))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    pause: () => (paused = true),
    resume: () => {
      paused = false;
      wake?.();
    },
    close: () => abort.abort(),
  };
}

/** readLogs is used to read a log that ends by itself: status and whole text. */
export async function readLogs(
  t: TestServer,
  token: string,
  path: string,
): Promise<{ status: number; text: string; code: string | undefined }> {
  const res = await t.api('GET', path, { token });
  const text = typeof res.body === 'string' ? res.body : '';
  const code = typeof res.json.code === 'string' ? res.json.code : undefined;
  return { status: res.status, text, code };
}
