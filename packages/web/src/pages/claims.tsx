// Claims: the caller's own (admins: everyone's, filtered by owner, phase and node), live from
// the watch stream, newest first.
import type { GpuClaim, User } from '@utopia/shared';
import { useMemo, useState } from 'react';
import { Link } from 'react-router';
import { useLive } from '../api/live.js';
import { useI18n } from '../i18n/i18n.js';
import { isAdmin } from '../ui/admin-only.js';
import { CLAIM_PHASES, PhaseBadge } from '../ui/badges.js';
import { ago } from '../ui/format.js';
import { DataTable } from '../ui/form.js';
import { Empty, ErrorNote, Loading } from '../ui/states.js';

/** ClaimsPage is used at /claims. */
export function ClaimsPage({ me }: { me: User }) {
  const { t } = useI18n();
  const { claims, nodes } = useLive();
  const [owner, setOwner] = useState('');
  const [phase, setPhase] = useState('');
  const [node, setNode] = useState('');
  const shown = useMemo(
    () =>
      (claims.items ?? [])
        .filter(
          (c) =>
            (!owner || c.owner === owner) &&
            (!phase || c.status.phase === phase) &&
            (!node || c.status.nodeId === node),
        )
        .sort((a, b) => b.createdAt.localeCompare(a.createdAt)),
    [claims.items, owner, phase, node],
  );
  const owners = [...new Set((claims.items ?? []).map((c) => c.owner))].sort();

  return (
    <section>
      <div className="row spread">
        <h1>{isAdmin(me) ? t.allClaims : t.myClaims}</h1>
        <Link className="button primary" to="/claims/new">
          {t.newClaim}
        </Link>
      </div>
      <div className="filters row">
        {isAdmin(me) ? (
          <label>
            {t.owner}
            <select value={owner} onChange={(e) => setOwner(e.target.value)}>
              <option value="">{t.any}</option>
              {owners.map((o) => (
                <option key={o}>{o}</option>
              ))}
            </select>
          </label>
        ) : null}
        <label>
          {t.phase}
          <select value={phase} onChange={(e) => setPhase(e.target.value)}>
            <option value="">{t.any}</option>
            {CLAIM_PHASES.map((p) => (
              <option key={p} value={p}>
                {t.phases[p]}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t.node}
          <select value={node} onChange={(e) => setNode(e.target.value)}>
            <option value="">{t.any}</option>
            {(nodes.items ?? []).map((n) => (
              <option key={n.id} value={n.id}>
                {n.hostname}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={claims.error} />
      {claims.items === undefined ? (
        claims.error ? null : (
          <Loading />
        )
      ) : shown.length === 0 ? (
        <Empty>{claims.items.length === 0 ? t.noClaims : t.noMatch}</Empty>
      ) : (
        <ClaimTable claims={shown} showOwner={isAdmin(me)} />
      )}
    </section>
  );
}

/** ClaimTable is used by the claims page and a node's page. */
export function ClaimTable({ claims, showOwner }: { claims: GpuClaim[]; showOwner: boolean }) {
  const { t, language } = useI18n();
  return (
    <DataTable
      headers={[
        t.name,
        ...(showOwner ? [t.owner] : []),
        t.phase,
        t.image,
        t.gpus,
        t.node,
        t.created,
      ]}
    >
      {claims.map((c) => (
        <tr key={c.id} data-claim={c.name}>
          <td>
            <Link to={`/claims/${c.id}`}>{c.name}</Link>
          </td>
          {showOwner ? <td>{c.owner}</td> : null}
          <td>
            <PhaseBadge phase={c.status.phase} />
          </td>
          <td className="mono">{c.spec.image}</td>
          <td>
            {c.spec.resources.gpuCount}
            {c.status.gpuIds.length > 0 ? ` [${c.status.gpuIds.join(', ')}]` : ''}
          </td>
          <td>{c.status.nodeName ?? '—'}</td>
          <td>{ago(c.createdAt, language)}</td>
        </tr>
      ))}
    </DataTable>
  );
}
