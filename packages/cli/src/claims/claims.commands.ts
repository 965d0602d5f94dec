// `utopia get claims`, `describe claim`, `delete`, `wait`: claims by name or id.
import type { Command } from 'commander';
import { ClaimList, GpuClaim, wireCheck, type ClaimPhase } from '@utopia/shared';
import { parseDuration } from '../args.js';
import type { ApiClient } from '../api/api-client.js';
import { watchStream } from '../api/watch-stream.js';
import type { CliContext } from '../cli-context.js';
import { usageError } from '../errors.js';
import { formatList, formatOne, parseOutputFormat, type OutputFormat } from '../output/format.js';
import { renderTable } from '../output/table.js';
import { claimColumns } from './claim-columns.js';
import { findClaim, getClaim, getClaimWithEvents } from './claim-lookup.js';
import { describeClaim } from './describe-claim.js';
import { parseWaitCondition, waitForClaim } from './wait-for.js';

const isClaim = wireCheck(GpuClaim);

interface GetFlags {
  output: string;
  watch?: boolean;
  owner?: string;
  phase?: ClaimPhase;
  label?: string;
}

/** getClaims is used by `utopia get claims [NAME…]`. */
export async function getClaims(ctx: CliContext, names: string[], flags: GetFlags): Promise<void> {
  const format = parseOutputFormat(flags.output);
  const api = ctx.client();
  if (flags.watch) {
    if (names.length > 0) throw usageError('-w watches every claim; give no names');
    return watchClaims(ctx, api, format, flags.owner);
  }
  if (names.length === 1 && names[0] !== undefined) {
    ctx.out(formatOne(await getClaim(api, names[0], flags.owner), format, claimColumns));
    return;
  }
  const items: GpuClaim[] = [];
  if (names.length > 0) {
    for (const n of names) items.push(await getClaim(api, n, flags.owner));
  } else {
    let cursor: string | undefined;
    do {
      const page = await api.call('GET', '/api/gpu-claims', ClaimList, {
        query: { owner: flags.owner, phase: flags.phase, label: flags.label, limit: 500, cursor },
      });
      items.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  }
  const text = formatList(items, format, claimColumns);
  if (text === '' && (format === 'table' || format === 'wide')) ctx.err('No claims found.\n');
  ctx.out(text);
}

// Like `kubectl get -w`: the table once, then one line per change, until interrupted.
async function watchClaims(
  ctx: CliContext,
  api: ApiClient,
  format: OutputFormat,
  owner?: string,
): Promise<void> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  let headerShown = false;
  const line = (claim: GpuClaim, deleted: boolean): void => {
    if (format === 'json')
      ctx.out(`${JSON.stringify({ type: deleted ? 'DELETED' : 'CHANGED', object: claim })}\n`);
    else if (format === 'yaml' || format === 'name')
      ctx.out(formatOne(claim, format, claimColumns));
    else {
      const headers =
        format === 'wide'
          ? [...claimColumns.headers, ...claimColumns.wideHeaders]
          : claimColumns.headers;
      const row =
        format === 'wide'
          ? [...claimColumns.row(claim), ...claimColumns.wideRow(claim)]
          : claimColumns.row(claim);
      if (deleted) row[1] = 'Deleted';
      const table = renderTable(headers, [row]).split('\n');
      if (!headerShown) ctx.out(`${table[0] ?? ''}\n`);
      headerShown = true;
      ctx.out(`${table[1] ?? ''}\n`);
    }
  };
  try {
    await watchStream(
      api,
      '/api/gpu-claims',
      { owner },
      isClaim,
      (event) => {
        if (event.type === 'ADDED' || event.type === 'MODIFIED') line(event.object, false);
        else if (event.type === 'DELETED') line(event.object, true);
      },
      controller.signal,
    );
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** registerClaimCommands is used to add describe, delete and wait for claims. */
export function registerClaimCommands(program: Command, ctx: CliContext, describe: Command): void {
  describe
    .command('claim')
    .alias('claims')
    .description('show a claim: spec, status, GPUs, events, and why it is Pending')
    .argument('<name>', 'claim name or id')
    .option('--owner <username>', "another user's claim (admins)")
    .action(async (name: string, flags: { owner?: string }) => {
      const claim = await getClaimWithEvents(ctx.client(), name, flags.owner);
      ctx.out(describeClaim(claim));
    });

  program
    .command('delete')
    .summary('delete claims (their containers go, their GPUs are freed)')
    .argument('<names...>', 'claim names or ids')
    .option('--owner <username>', "another user's claim (admins)")
    .option('--wait', 'wait until each claim is gone')
    .option('--timeout <duration>', 'how long --wait waits', '2m')
    .option('--ignore-not-found', 'a claim that does not exist is not an error')
    .addHelpText(
      'after',
      '\nExamples:\n  utopia delete train-1\n  utopia delete train-1 train-2 --wait',
    )
    .action(
      async (
        names: string[],
        flags: { owner?: string; wait?: boolean; timeout: string; ignoreNotFound?: boolean },
      ) => {
        const timeoutMs = parseDuration('--timeout', flags.timeout);
        const api = ctx.client();
        for (const name of names) {
          const claim = flags.ignoreNotFound
            ? await findClaim(api, name, flags.owner)
            : await getClaim(api, name, flags.owner);
          if (claim === undefined) continue;
          await api.act('DELETE', `/api/gpu-claims/${claim.id}`);
          if (flags.wait)
            await waitForClaim(api, claim.id, claim.name, { kind: 'delete' }, timeoutMs);
          ctx.out(`claim/${claim.name} deleted\n`);
        }
      },
    );

  program
    .command('wait')
    .summary('wait for a claim to reach a phase, or to be deleted')
    .argument('<name>', 'claim name or id')
    .requiredOption('--for <condition>', 'phase=Running (any phase), or delete')
    .option('--timeout <duration>', 'give up after this long (exit code 124)', '5m')
    .option('--owner <username>', "another user's claim (admins)")
    .addHelpText(
      'after',
      '\nExamples:\n  utopia wait train-1 --for phase=Running --timeout 5m\n  utopia wait train-1 --for delete',
    )
    .action(async (name: string, flags: { for: string; timeout: string; owner?: string }) => {
      const cond = parseWaitCondition(flags.for);
      if (cond === undefined) throw usageError(`--for ${flags.for}: use phase=<Phase> or delete`);
      const timeoutMs = parseDuration('--timeout', flags.timeout);
      const api = ctx.client();
      const claim =
        cond.kind === 'delete'
          ? await findClaim(api, name, flags.owner)
          : await getClaim(api, name, flags.owner);
      if (claim !== undefined) await waitForClaim(api, claim.id, claim.name, cond, timeoutMs);
      ctx.out(`claim/${claim?.name ?? name} condition met\n`);
    });
}
