// Nodes: status, model, a cell per GPU, labels, last heartbeat; live from the nodes watch.
import type { GpuClaim, Node, User } from '@utopia/shared';
import { Link } from 'react-router';
import { useLive } from '../api/live.js';
import { useI18n } from '../i18n/i18n.js';
import { NodeBadge } from '../ui/badges.js';
import { ago } from '../ui/format.js';
import { DataTable } from '../ui/form.js';
import { GpuCell } from '../ui/gpu-cell.js';
import { Empty, ErrorNote, Loading } from '../ui/states.js';

/** claimsByGpu is used to find the live claim holding each GPU of a node ("node/index"). */
export function claimsByGpu(claims: GpuClaim[] | undefined): Map<string, GpuClaim> {
  const out = new Map<string, GpuClaim>();
  for (const c of claims ?? [])
    if (c.status.nodeId) for (const i of c.status.gpuIds) out.set(`${c.status.nodeId}/${i}`, c);
  return out;
}

/** NodesPage is used at /nodes. */
export function NodesPage({ me: _me }: { me: User }) {
  const { t } = useI18n();
  const { nodes, claims } = useLive();
  const held = claimsByGpu(claims.items);
  return (
    <section>
      <h1>{t.nodes}</h1>
      <ErrorNote error={nodes.error} />
      {nodes.items === undefined ? (
        nodes.error ? null : (
          <Loading />
        )
      ) : nodes.items.length === 0 ? (
        <Empty>{t.noNodes}</Empty>
      ) : (
        <DataTable headers={[t.hostname, t.status, t.model, t.gpus, t.labels, t.lastSeen]}>
          {sortNodes(nodes.items).map((n) => (
            <NodeRow key={n.id} node={n} held={held} />
          ))}
        </DataTable>
      )}
    </section>
  );
}

function NodeRow({ node, held }: { node: Node; held: Map<string, GpuClaim> }) {
  const { t, language } = useI18n();
  return (
    <tr data-node={node.hostname}>
      <td>
        <Link to={`/nodes/${node.id}`}>{node.hostname}</Link>
      </td>
      <td>
        <NodeBadge status={node.status} schedulable={node.schedulable} />
      </td>
      <td>{[...new Set(node.gpus.map((g) => g.model))].join(', ') || '—'}</td>
      <td>
        <div className="gpu-strip" aria-label={t.gpusReservedOf(node.gpusReserved, node.gpuCount)}>
          {node.gpus.map((g) => {
            const c = held.get(`${node.id}/${g.index}`);
            return (
              <span
                key={g.index}
                className={`dot ${c || g.claimId ? 'held' : 'free'}`}
                title={`#${g.index} ${c ? `${c.owner}/${c.name}` : t.free}`}
              />
            );
          })}
          <span className="muted">
            {node.gpusReserved}/{node.gpuCount}
          </span>
        </div>
      </td>
      <td>
        <Labels labels={node.labels} />
      </td>
      <td>{ago(node.lastHeartbeatAt, language)}</td>
    </tr>
  );
}

/** Labels is used to show a node's labels as chips. */
export function Labels({ labels }: { labels: Record<string, string> }) {
  const entries = Object.entries(labels);
  if (entries.length === 0) return <span className="muted">—</span>;
  return (
    <span className="chips">
      {entries.map(([k, v]) => (
        <span className="chip" key={k}>
          {k}={v}
        </span>
      ))}
    </span>
  );
}

/** sortNodes is used to list nodes by hostname. */
export function sortNodes(nodes: Node[]): Node[] {
  return [...nodes].sort((a, b) => a.hostname.localeCompare(b.hostname));
}

/** NodeGpus is used on the overview and a node's page: one cell per GPU. */
export function NodeGpus({ node, held }: { node: Node; held: Map<string, GpuClaim> }) {
  return (
    <div className="gpu-grid">
      {node.gpus.map((g) => (
        <GpuCell
          key={g.index}
          gpu={g}
          claim={held.get(`${node.id}/${g.index}`)}
          offline={node.status !== 'Online'}
        />
      ))}
    </div>
  );
}
