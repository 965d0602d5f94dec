// A claim's ports, each with an "Open" button while it runs: a one-time link to the port on the
// server's HTTP proxy (its own origin), opened in a new tab (Jupyter, TensorBoard, any HTTP).
import type { GpuClaim } from '@utopia/shared';
import { useState } from 'react';
import { useProxySession } from '../api/queries.js';
import { useI18n } from '../i18n/i18n.js';
import { ErrorNote } from '../ui/states.js';

/** Blocked is used for a link the browser would not open by itself (a popup blocker). */
interface Blocked {
  port: number;
  url: string;
}

/**
 * openInNewTab is used once the link is known. The tab must not reach back to this one: the
 * opener is cut before the proxied page loads. null: a popup blocker refused the tab.
 */
function openInNewTab(url: string): boolean {
  const tab = window.open(url, '_blank');
  if (tab === null) return false;
  tab.opener = null;
  return true;
}

/** ClaimPorts is used on a claim's page, in its facts. */
export function ClaimPorts({ claim }: { claim: GpuClaim }) {
  const { t } = useI18n();
  const session = useProxySession(claim.id);
  const [blocked, setBlocked] = useState<Blocked | null>(null);
  const ports = claim.spec.ports ?? [];
  if (ports.length === 0) return <>—</>;
  const running = claim.status.phase === 'Running';
  const open = (port: number) => {
    setBlocked(null);
    session.mutate(port, {
      onSuccess: (s) => {
        if (!openInNewTab(s.url)) setBlocked({ port, url: s.url });
      },
    });
  };
  return (
    <div className="stack">
      <ul className="ports">
        {ports.map((p) => {
          const protocol = p.protocol ?? 'tcp';
          return (
            <li key={`${p.containerPort}/${protocol}`}>
              <span className="mono">
                {p.containerPort}/{protocol}
              </span>
              {running && protocol === 'tcp' ? (
                <button
                  className="small"
                  onClick={() => open(p.containerPort)}
                  disabled={session.isPending}
                  aria-label={t.openPort(p.containerPort)}
                >
                  {t.open}
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      {blocked ? (
        <p data-testid="proxy-link">
          {t.popupBlocked}{' '}
          <a href={blocked.url} target="_blank" rel="noopener noreferrer">
            {t.openPort(blocked.port)}
          </a>
        </p>
      ) : null}
      <ErrorNote error={session.error} />
    </div>
  );
}
