// `utopia describe claim`: what a person wants to know about a claim, in kubectl's layout.
import type { GpuClaim } from '@utopia/shared';
import { age, renderTable } from '../output/table.js';

/** describeClaim is used to render one claim with its events. */
export function describeClaim(c: GpuClaim, now: number = Date.now()): string {
  const s = c.status;
  const r = c.spec.resources;
  const lines: [string, string][] = [
    ['Name', c.name],
    ['ID', c.id],
    ['Owner', c.owner],
    ['Created', `${c.createdAt} (${age(c.createdAt, now)} ago)`],
    ['Image', c.spec.image],
    ['Command', c.spec.command ? c.spec.command.map(quoteArg).join(' ') : '<image default>'],
    [
      'GPUs',
      `${r.gpuCount}${r.gpuModel ? ` × ${r.gpuModel}` : ''}${r.minGpuMemoryMiB ? ` (≥ ${r.minGpuMemoryMiB} MiB each)` : ''}`,
    ],
    ['Restart Policy', c.spec.restartPolicy ?? 'Always'],
    ['Phase', s.phase],
  ];
  if (s.reason) lines.push(['Reason', s.reason]);
  if (s.message) lines.push(['Message', s.message]);
  lines.push(['Node', s.nodeName ? `${s.nodeName} (${s.nodeId ?? ''})` : '<none>']);
  lines.push(['GPU Indices', s.gpuIds.length > 0 ? s.gpuIds.join(', ') : '<none>']);
  lines.push(['Container', s.containerId ?? '<none>']);
  lines.push(['Restarts', String(s.restartCount)]);
  if (s.exitCode !== null) lines.push(['Exit Code', String(s.exitCode)]);
  if (c.spec.ports?.length)
    lines.push([
      'Ports',
      c.spec.ports.map((p) => `${p.containerPort}/${p.protocol ?? 'tcp'}`).join(', '),
    ]);
  // Values may be secrets (docs/api.md): names only, `-o yaml` shows the rest to the owner.
  if (c.spec.env && Object.keys(c.spec.env).length > 0)
    lines.push(['Env', Object.keys(c.spec.env).sort().join(', ')]);
  if (c.spec.nodeSelector && Object.keys(c.spec.nodeSelector).length > 0)
    lines.push([
      'Node Selector',
      Object.entries(c.spec.nodeSelector)
        .map(([k, v]) => `${k}=${v}`)
        .join(', '),
    ]);
  if (s.deletionRequestedAt) lines.push(['Deletion Requested', s.deletionRequestedAt]);
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  let out = lines.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}\n`).join('');
  if (s.phase === 'Pending' && s.placement) out += whyPending(s.placement);
  out += '\nEvents:\n';
  const events = c.events ?? [];
  out +=
    events.length === 0
      ? '  <none>\n'
      : renderTable(
          ['TYPE', 'REASON', 'AGE', 'MESSAGE'],
          events.map((e) => [e.type, e.reason, age(e.time, now), e.message]),
        )
          .split('\n')
          .map((l) => (l === '' ? l : `  ${l}`))
          .join('\n');
  return out;
}

function whyPending(p: NonNullable<GpuClaim['status']['placement']>): string {
  let out = `\nWhy Pending: ${p.nodesFeasible} of ${p.nodesEvaluated} nodes can take it now\n`;
  for (const [reason, n] of Object.entries(p.filteredByReason)) out += `  ${n} × ${reason}\n`;
  for (const [dim, n] of Object.entries(p.exhaustedByDimension))
    out += `  ${n} × not enough free ${dim}\n`;
  return out;
}

function quoteArg(a: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}
