// A claim's page: where it runs and why it does not, its events, its logs, and delete.
import type { ClaimPlacement, GpuClaim } from '@utopia/shared';
import { lazy, Suspense, useRef, useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { useLive } from '../api/live.js';
import { ApiError } from '../api/client.js';
import { useClaim, useDeleteClaim } from '../api/queries.js';
import { useI18n } from '../i18n/i18n.js';
import type { Messages } from '../i18n/en.js';
import { PhaseBadge } from '../ui/badges.js';
import { ConfirmButton } from '../ui/confirm.js';
import { ago } from '../ui/format.js';
import { Empty, ErrorNote, Loading } from '../ui/states.js';
import { Timeline } from '../ui/timeline.js';
import { ClaimLogs } from './claim-logs.js';
import { ClaimPorts } from './claim-ports.js';

// xterm.js is loaded only when a terminal is opened.
const ClaimTerminal = lazy(() => import('./terminal.js'));

/** ClaimPage is used at /claims/:id. */
export function ClaimPage() {
  const { id = '' } = useParams();
  const { t, language } = useI18n();
  const navigate = useNavigate();
  const liveClaims = useLive().claims.items;
  const live = liveClaims?.find((c) => c.id === id);
  // The watch carries the claim without its events: read them again whenever it changes.
  const detail = useClaim(id, live?.version);
  const remove = useDeleteClaim();
  const gone =
    (detail.error instanceof ApiError && detail.error.status === 404) ||
    (live === undefined && liveClaims !== undefined && detail.isError);
  // Once deleted, the claim is shown as last seen: the stream drops it and a read that starts
  // after that (a new query key: no placeholder) ends in a 404 with no data of its own.
  const lastSeen = useRef<GpuClaim | undefined>(undefined);
  const current = live ?? detail.data;
  if (current?.id === id) lastSeen.current = current;
  const claim: GpuClaim | undefined =
    current ?? (lastSeen.current?.id === id ? lastSeen.current : undefined);

  if (!claim) return detail.isError ? <ErrorNote error={detail.error} /> : <Loading />;
  const s = claim.status;
  return (
    <section>
      <p>
        <Link to="/claims">← {t.claims}</Link>
      </p>
      <div className="row spread">
        <h1>
          {claim.name} <PhaseBadge phase={s.phase} />
        </h1>
        {s.phase === 'Terminating' ? null : (
          <ConfirmButton
            danger
            label={t.delete}
            question={t.deleteClaimQuestion(claim.name)}
            busy={remove.isPending}
            onConfirm={() => remove.mutate(claim.id)}
          />
        )}
      </div>
      <ErrorNote error={remove.error} />
      {gone ? <p className="muted">{t.claimGone}</p> : null}
      {s.phase === 'Pending' || s.phase === 'Failed' ? <WhyBox claim={claim} /> : null}
      <dl className="facts">
        <dt>{t.owner}</dt>
        <dd>{claim.owner}</dd>
        <dt>{t.image}</dt>
        <dd className="mono">{claim.spec.image}</dd>
        <dt>{t.node}</dt>
        <dd>{s.nodeId ? <Link to={`/nodes/${s.nodeId}`}>{s.nodeName ?? s.nodeId}</Link> : '—'}</dd>
        <dt>{t.gpus}</dt>
        <dd>
          {claim.spec.resources.gpuCount}
          {s.gpuIds.length > 0 ? ` (${t.indices}: ${s.gpuIds.join(', ')})` : ''}
          {claim.spec.resources.gpuModel ? ` · ${claim.spec.resources.gpuModel}` : ''}
        </dd>
        <dt>{t.container}</dt>
        <dd className="mono">{s.containerId ? s.containerId.slice(0, 12) : '—'}</dd>
        <dt>{t.ports}</dt>
        <dd>
          <ClaimPorts claim={claim} />
        </dd>
        <dt>{t.restarts}</dt>
        <dd data-testid="restarts">{s.restartCount}</dd>
        {s.exitCode !== null ? (
          <>
            <dt>{t.exitCode}</dt>
            <dd>{s.exitCode}</dd>
          </>
        ) : null}
        <dt>{t.command}</dt>
        <dd className="mono">{(claim.spec.command ?? []).join(' ') || '—'}</dd>
        <dt>{t.created}</dt>
        <dd>{ago(claim.createdAt, language)}</dd>
      </dl>
      <h2>{t.events}</h2>
      <Events claim={detail.data} />
      <h2>{t.logs}</h2>
      <ClaimLogs claimId={claim.id} containerId={s.containerId} />
      {s.phase === 'Running' ? <TerminalSection claimId={claim.id} /> : null}
      {gone ? (
        <p>
          <button onClick={() => navigate('/claims')}>{t.claims}</button>
        </p>
      ) : null}
    </section>
  );
}

function TerminalSection({ claimId }: { claimId: string }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <>
      <h2>{t.terminal}</h2>
      {open ? (
        <Suspense fallback={<Loading />}>
          <ClaimTerminal claimId={claimId} />
        </Suspense>
      ) : (
        <button onClick={() => setOpen(true)}>{t.openTerminal}</button>
      )}
    </>
  );
}

function WhyBox({ claim }: { claim: GpuClaim }) {
  const { t } = useI18n();
  const s = claim.status;
  return (
    <div className={`why ${s.phase === 'Failed' ? 'failed' : ''}`} data-testid="why">
      <strong>{s.phase === 'Pending' ? t.whyPending : (s.reason ?? '')}</strong>
      {s.phase === 'Pending' && s.reason ? <span className="code"> {s.reason}</span> : null}
      {s.message ? <p>{s.message}</p> : null}
      {s.placement ? <PlacementList placement={s.placement} t={t} /> : null}
    </div>
  );
}

function PlacementList({ placement, t }: { placement: ClaimPlacement; t: Messages }) {
  const rows = [
    ...Object.entries(placement.filteredByReason).map(([reason, n]) => t.nodesFiltered(n, reason)),
    ...Object.entries(placement.exhaustedByDimension).map(([dim, n]) => t.nodesExhausted(n, dim)),
  ];
  return (
    <ul>
      <li>{t.nodesEvaluated(placement.nodesEvaluated, placement.nodesFeasible)}</li>
      {rows.map((r) => (
        <li key={r}>{r}</li>
      ))}
    </ul>
  );
}

function Events({ claim }: { claim: GpuClaim | undefined }) {
  const { t } = useI18n();
  if (!claim) return <Loading />;
  const events = claim.events ?? [];
  if (events.length === 0) return <Empty>{t.noEvents}</Empty>;
  return (
    <Timeline testId="events" entries={events.map((e, i) => ({ ...e, key: `${e.time}-${i}` }))} />
  );
}
