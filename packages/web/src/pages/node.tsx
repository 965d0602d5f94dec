// A node's page: its GPUs and the claim on each, its claims, its events; admins also cordon/uncordon, set
// labels, drain and delete (each asks first where it cannot be undone).
import type { Node, User } from '@utopia/shared';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { ApiError } from '../api/client.js';
import { useLive } from '../api/live.js';
import { useNode, useNodeActions } from '../api/queries.js';
import { useI18n } from '../i18n/i18n.js';
import { isAdmin } from '../ui/admin-only.js';
import { NodeBadge } from '../ui/badges.js';
import { ConfirmButton } from '../ui/confirm.js';
import { ago } from '../ui/format.js';
import { ErrorNote, Loading } from '../ui/states.js';
import { ClaimTable } from './claims.js';
import { claimsByGpu, Labels, NodeGpus } from './nodes.js';
import { RecentEvents } from './recent-events.js';

/** NodePage is used at /nodes/:id. */
export function NodePage({ me }: { me: User }) {
  const { id = '' } = useParams();
  const { t, language } = useI18n();
  const live = useLive();
  const fetched = useNode(id);
  const node = live.nodes.items?.find((n) => n.id === id) ?? fetched.data;
  if (!node) return fetched.isError ? <ErrorNote error={fetched.error} /> : <Loading />;
  const claims = (live.claims.items ?? []).filter((c) => c.status.nodeId === node.id);
  return (
    <section>
      <p>
        <Link to="/nodes">← {t.nodes}</Link>
      </p>
      <h1>
        {node.hostname} <NodeBadge status={node.status} schedulable={node.schedulable} />
      </h1>
      <dl className="facts">
        <dt>ID</dt>
        <dd className="mono">{node.id}</dd>
        <dt>{t.gpus}</dt>
        <dd>{t.gpusReservedOf(node.gpusReserved, node.gpuCount)}</dd>
        <dt>{t.labels}</dt>
        <dd>
          <Labels labels={node.labels} />
        </dd>
        <dt>{t.agentVersion}</dt>
        <dd>{node.agentVersion}</dd>
        <dt>{t.connection}</dt>
        <dd className="mono">
          {node.address ?? (node.tunnelPort ? `frp :${node.tunnelPort}` : '—')}
        </dd>
        <dt>{t.lastSeen}</dt>
        <dd>{ago(node.lastHeartbeatAt, language)}</dd>
      </dl>
      {isAdmin(me) ? <NodeAdmin node={node} /> : null}
      <h2>{t.gpus}</h2>
      <NodeGpus node={node} held={claimsByGpu(live.claims.items)} />
      <h2>{t.claims}</h2>
      {claims.length === 0 ? (
        <p className="empty">{t.noClaimsOnNode}</p>
      ) : (
        <ClaimTable claims={claims} showOwner />
      )}
      <h2>{t.events}</h2>
      <RecentEvents nodeId={node.id} />
    </section>
  );
}

function NodeAdmin({ node }: { node: Node }) {
  const { t } = useI18n();
  const navigate = useNavigate();
  const actions = useNodeActions(node.id);
  const [labels, setLabels] = useState(
    Object.entries(node.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  const saveLabels = (e: FormEvent) => {
    e.preventDefault();
    const out: Record<string, string> = {};
    for (const line of labels
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)) {
      const eq = line.indexOf('=');
      out[eq === -1 ? line : line.slice(0, eq)] = eq === -1 ? '' : line.slice(eq + 1);
    }
    actions.update.mutate({ labels: out });
  };
  const error = actions.update.error ?? actions.drain.error ?? actions.remove.error;
  const labelError = error instanceof ApiError ? error.fieldMessage('labels') : undefined;
  return (
    <div className="admin-box" data-testid="node-admin">
      <div className="row wrap">
        <button
          onClick={() => actions.update.mutate({ schedulable: !node.schedulable })}
          disabled={actions.update.isPending}
        >
          {node.schedulable ? t.cordon : t.uncordon}
        </button>
        <ConfirmButton
          label={t.drain}
          question={t.drainQuestion(node.hostname)}
          onConfirm={() => actions.drain.mutate()}
          busy={actions.drain.isPending}
        />
        <ConfirmButton
          danger
          label={t.delete}
          question={t.deleteNodeQuestion(node.hostname)}
          onConfirm={() =>
            actions.remove.mutate(undefined, { onSuccess: () => navigate('/nodes') })
          }
          busy={actions.remove.isPending}
        />
      </div>
      <form className="stack" onSubmit={saveLabels}>
        <label>
          {t.labelsPerLine}
          <textarea rows={3} value={labels} onChange={(e) => setLabels(e.target.value)} />
        </label>
        {labelError ? <span className="field-error">{labelError}</span> : null}
        <div>
          <button type="submit">{t.saveLabels}</button>
        </div>
      </form>
      <ErrorNote error={error} />
    </div>
  );
}
