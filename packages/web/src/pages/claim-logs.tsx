// A claim's live logs (`GET /api/gpu-claims/:id/logs?follow=true`) as plain selectable text:
// the browser's own find and copy work on it, and a filter shows only matching lines. The text
// kept is bounded, so a chatty container cannot fill the tab's memory.
import { useEffect, useMemo, useRef, useState } from 'react';
import { authHeaders, errorOf, fetchApi } from '../api/client.js';
import { useI18n } from '../i18n/i18n.js';
import { ErrorNote } from '../ui/states.js';

const KEEP_CHARS = 1_000_000;

/** ClaimLogs is used on a claim's page; `containerId` restarts the stream on each new container. */
export function ClaimLogs({
  claimId,
  containerId,
}: {
  claimId: string;
  containerId: string | null;
}) {
  const { t } = useI18n();
  const [text, setText] = useState('');
  const [state, setState] = useState<'idle' | 'following' | 'ended'>('idle');
  const [error, setError] = useState<Error | null>(null);
  const [filter, setFilter] = useState('');
  const [restart, setRestart] = useState(0);
  const pre = useRef<HTMLPreElement>(null);

  useEffect(() => {
    if (!containerId) return;
    const abort = new AbortController();
    setText('');
    setError(null);
    setState('following');
    (async () => {
      const res = await fetchApi(
        `/api/gpu-claims/${encodeURIComponent(claimId)}/logs?follow=true&tail=2000`,
        { headers: authHeaders(), signal: abort.signal },
      );
      if (!res.ok || !res.body) throw await errorOf(res);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        setText((old) => {
          const next = old + value;
          return next.length > KEEP_CHARS ? next.slice(next.length - KEEP_CHARS) : next;
        });
      }
      setState('ended');
    })().catch((e: unknown) => {
      if (abort.signal.aborted) return;
      setError(e instanceof Error ? e : new Error(String(e)));
      setState('ended');
    });
    return () => abort.abort();
  }, [claimId, containerId, restart]);

  // Keep the newest line in view while following, unless the reader scrolled up.
  useEffect(() => {
    const el = pre.current;
    if (el && el.scrollHeight - el.scrollTop - el.clientHeight < 80) el.scrollTop = el.scrollHeight;
  }, [text]);

  const shown = useMemo(() => {
    if (!filter) return text;
    const needle = filter.toLowerCase();
    return text
      .split('\n')
      .filter((l) => l.toLowerCase().includes(needle))
      .join('\n');
  }, [text, filter]);

  if (!containerId) return <p className="muted">{t.noContainerYet}</p>;
  return (
    <div className="logs">
      <div className="row">
        <input
          type="search"
          aria-label={t.filterLogs}
          placeholder={t.filterLogs}
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
        />
        <span className="muted" role="status">
          {state === 'following' ? t.following : state === 'ended' ? t.logEnded : ''}
        </span>
        {state === 'ended' ? (
          <button onClick={() => setRestart((n) => n + 1)}>{t.reload}</button>
        ) : null}
      </div>
      <ErrorNote error={error} />
      <pre ref={pre} className="log-text" tabIndex={0} aria-label={t.logs} data-testid="logs">
        {shown}
      </pre>
    </div>
  );
}
