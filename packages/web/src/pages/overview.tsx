// The cluster at a glance: nodes online/offline, GPUs total/reserved/busy, claims by phase, and
// a live grid with one cell per GPU of every node, and the cluster's recent events.
import type { ClaimPhase } from '@utopia/shared';
import { Link } from 'react-router';
import { useLive } from '../api/live.js';
import { useI18n } from '../i18n/i18n.js';
import { CLAIM_PHASES, NodeBadge, PhaseBadge } from '../ui/badges.js';
import { Empty, ErrorNote, Loading } from '../ui/states.js';
import { claimsByGpu, NodeGpus, sortNodes } from './nodes.js';
import { RecentEvents } from './recent-events.js';

/** A GPU counts as busy above this utilisation. */
const BUSY_PERCENT = 10;

/** OverviewPage is used at /. */
export function OverviewPage() {
  const { t } = useI18n();
  const { nodes, claims } = useLive();
  if (nodes.items === undefined || claims.items === undefined)
    return nodes.error || claims.error ? (
      <ErrorNote error={nodes.error ?? claims.error} />
    ) : (
      <Loading />
    );
  const online = nodes.items.filter((n) => n.status === 'Online').length;
  const gpus = nodes.items.flatMap((n) => n.gpus);
  const held = claimsByGpu(claims.items);
  const busy = gpus.filter((g) => (g.utilizationPercent ?? 0) >= BUSY_PERCENT).length;
  const byPhase = new Map<ClaimPhase, number>();
  for (const c of claims.items) byPhase.set(c.status.phase, (byPhase.get(c.status.phase) ?? 0) + 1);
  return (
    <section>
      <h1>{t.overview}</h1>
      <div className="stats">
        <Stat
          label={t.nodesOnline}
          value={`${online}`}
          sub={t.offlineCount(nodes.items.length - online)}
        />
        <Stat label={t.gpusTotal} value={`${gpus.length}`} />
        <Stat label={t.gpusReserved} value={`${held.size}`} />
        <Stat label={t.gpusBusy} value={`${busy}`} />
      </div>
      <h2>{t.claimsByPhase}</h2>
      <div className="row wrap phases">
        {CLAIM_PHASES.map((p) => (
          <Link key={p} to={`/claims`} className="phase-count">
            <PhaseBadge phase={p} /> <strong data-phase-count={p}>{byPhase.get(p) ?? 0}</strong>
          </Link>
        ))}
      </div>
      <h2>{t.gpuGrid}</h2>
      {nodes.items.length === 0 ? (
        <Empty>{t.noNodes}</Empty>
      ) : (
        sortNodes(nodes.items).map((n) => (
          <div key={n.id} className="node-block" data-node={n.hostname}>
            <h3>
              <Link to={`/nodes/${n.id}`}>{n.hostname}</Link>{' '}
              <NodeBadge status={n.status} schedulable={n.schedulable} />
            </h3>
            <NodeGpus node={n} held={held} />
          </div>
        ))
      )}
      <h2>{t.recentEvents}</h2>
      <RecentEvents />
    </section>
  );
}

function Stat({ label, value, sub }: { label: string; value: string; sub?: string }) {
  return (
    <div className="stat">
      <span className="stat-value">{value}</span>
      <span className="stat-label">{label}</span>
      {sub ? <span className="muted">{sub}</span> : null}
    </div>
  );
}
