// `utopia get nodes`, `describe node`, `cordon`, `uncordon`, `drain`, `label node`, `delete node`.
import type { Command } from 'commander';
import { Node, NodeList, type NodeGpu } from '@utopia/shared';
import type { ApiClient } from '../api/api-client.js';
import type { CliContext } from '../cli-context.js';
import { CliError, usageError } from '../errors.js';
import { formatList, formatOne, parseOutputFormat, type Columns } from '../output/format.js';
import { age, renderTable } from '../output/table.js';

/** nodeColumns is used by `get nodes`. */
export const nodeColumns: Columns<Node> = {
  kind: 'node',
  name: (n) => n.hostname,
  headers: ['NAME', 'STATUS', 'GPUS', 'MODEL', 'LAST-SEEN', 'AGE'],
  row: (n) => [
    n.hostname,
    n.schedulable ? n.status : `${n.status},SchedulingDisabled`,
    `${n.gpusReserved}/${n.gpuCount}`,
    models(n.gpus),
    age(n.lastHeartbeatAt),
    age(n.createdAt),
  ],
  wideHeaders: ['LABELS', 'VERSION', 'ENDPOINT', 'ID'],
  wideRow: (n) => [
    Object.entries(n.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') || '<none>',
    n.agentVersion,
    n.address ?? (n.tunnelPort === null ? '<none>' : `tunnel:${n.tunnelPort}`),
    n.id,
  ],
};

function models(gpus: readonly NodeGpu[]): string {
  const names = [...new Set(gpus.map((g) => g.model))];
  return names.length === 0 ? '<none>' : names.join(',');
}

/** findNode is used to address a node by hostname or id. */
export async function getNode(api: ApiClient, nameOrId: string): Promise<Node> {
  const list = await api.call('GET', '/api/nodes', NodeList);
  const byId = list.items.find((n) => n.id === nameOrId);
  if (byId) return byId;
  const byName = list.items.filter((n) => n.hostname === nameOrId);
  if (byName.length > 1)
    throw new CliError(`${byName.length} nodes are named ${nameOrId}: use the node's id`, {
      code: 'AMBIGUOUS',
    });
  if (byName[0]) return byName[0];
  throw new CliError(`node ${nameOrId} not found`, { code: 'NOT_FOUND', status: 404 });
}

/** getNodes is used by `utopia get nodes [NAME…]`. */
export async function getNodes(
  ctx: CliContext,
  names: string[],
  flags: { output: string },
): Promise<void> {
  const format = parseOutputFormat(flags.output);
  const api = ctx.client();
  if (names.length === 1 && names[0] !== undefined) {
    ctx.out(formatOne(await getNode(api, names[0]), format, nodeColumns));
    return;
  }
  const all = (await api.call('GET', '/api/nodes', NodeList)).items;
  const items = names.length === 0 ? all : await Promise.all(names.map((n) => getNode(api, n)));
  const text = formatList(items, format, nodeColumns);
  if (text === '' && (format === 'table' || format === 'wide')) ctx.err('No nodes found.\n');
  ctx.out(text);
}

/** describeNode is used by `utopia describe node`. */
export function describeNode(n: Node, now: number = Date.now()): string {
  const lines: [string, string][] = [
    ['Name', n.hostname],
    ['ID', n.id],
    ['Status', `${n.status} (since ${age(n.statusChangedAt, now)})`],
    ['Schedulable', n.schedulable ? 'yes' : 'no (cordoned)'],
    [
      'Labels',
      Object.entries(n.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ') || '<none>',
    ],
    [
      'Endpoint',
      n.address ?? (n.tunnelPort === null ? '<none>' : `frp tunnel, port ${n.tunnelPort}`),
    ],
    ['Agent Version', n.agentVersion],
    ['Last Seen', n.lastHeartbeatAt === null ? '<never>' : `${age(n.lastHeartbeatAt, now)} ago`],
    ['GPUs', `${n.gpusReserved} of ${n.gpuCount} reserved`],
  ];
  const width = Math.max(...lines.map(([k]) => k.length)) + 2;
  let out = lines.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}\n`).join('');
  if (n.gpus.length > 0) {
    out += '\n';
    out += renderTable(
      ['INDEX', 'MODEL', 'MEMORY', 'UTIL', 'TEMP', 'CLAIM', 'UUID'],
      n.gpus.map((g) => [
        String(g.index),
        g.model,
        `${g.memoryUsedMiB ?? '?'}/${g.memoryTotalMiB} MiB`,
        g.utilizationPercent === null ? '?' : `${g.utilizationPercent}%`,
        g.temperatureC === null ? '?' : `${g.temperatureC}°C`,
        g.claimId ?? '<free>',
        g.uuid,
      ]),
    );
  }
  return out;
}

/** registerNodeCommands is used to add the node commands (admins; `describe node` for all). */
export function registerNodeCommands(program: Command, ctx: CliContext, describe: Command): void {
  describe
    .command('node')
    .alias('nodes')
    .description('show a node: status, labels, GPUs and the claim on each')
    .argument('<name>', 'node hostname or id')
    .action(async (name: string) => {
      ctx.out(describeNode(await getNode(ctx.client(), name)));
    });

  const patch = async (name: string, body: object, done: string): Promise<void> => {
    const api = ctx.client();
    const node = await getNode(api, name);
    await api.call('PATCH', `/api/nodes/${node.id}`, Node, { body });
    ctx.out(`node/${node.hostname} ${done}\n`);
  };
  program
    .command('cordon')
    .summary('stop placing new claims on a node (admins)')
    .argument('<node>', 'node hostname or id')
    .action((name: string) => patch(name, { schedulable: false }, 'cordoned'));
  program
    .command('uncordon')
    .summary('let claims be placed on a node again (admins)')
    .argument('<node>', 'node hostname or id')
    .action((name: string) => patch(name, { schedulable: true }, 'uncordoned'));
  program
    .command('drain')
    .summary('cordon a node and move its claims elsewhere (admins)')
    .argument('<node>', 'node hostname or id')
    .action(async (name: string) => {
      const api = ctx.client();
      const node = await getNode(api, name);
      await api.send('POST', `/api/nodes/${node.id}/drain`).then((r) => r.body?.cancel());
      ctx.out(`node/${node.hostname} drained\n`);
    });

  const label = program.command('label').summary('set or remove labels (admins)');
  label
    .command('node')
    .argument('<node>', 'node hostname or id')
    .argument('<labels...>', 'KEY=VALUE to set, KEY- to remove')
    .addHelpText(
      'after',
      '\nExamples:\n  utopia label node gpu-07 zone=lab-1 rack=3\n  utopia label node gpu-07 rack-',
    )
    .action(async (name: string, changes: string[]) => {
      const api = ctx.client();
      const node = await getNode(api, name);
      const labels: Record<string, string> = { ...node.labels };
      for (const change of changes) {
        if (change.endsWith('-') && !change.includes('=')) delete labels[change.slice(0, -1)];
        else {
          const at = change.indexOf('=');
          if (at <= 0)
            throw usageError(`label ${JSON.stringify(change)} must be KEY=VALUE or KEY-`);
          labels[change.slice(0, at)] = change.slice(at + 1);
        }
      }
      await api.call('PATCH', `/api/nodes/${node.id}`, Node, { body: { labels } });
      ctx.out(`node/${node.hostname} labeled\n`);
    });
}
