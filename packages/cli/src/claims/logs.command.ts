// `utopia logs NAME [-f] [--tail N] [--since 10m] [--timestamps] [--previous]`.
import type { Command } from 'commander';
import { parseDuration, parseIntFlag } from '../args.js';
import type { CliContext } from '../cli-context.js';
import { getClaim } from './claim-lookup.js';

interface LogsFlags {
  follow?: boolean;
  tail?: string;
  since?: string;
  timestamps?: boolean;
  previous?: boolean;
  owner?: string;
}

/** registerLogs is used to add `logs` to the program. */
export function registerLogs(program: Command, ctx: CliContext): void {
  program
    .command('logs')
    .summary("print a claim's container output (stdout and stderr)")
    .argument('<name>', 'claim name or id')
    .option(
      '-f, --follow',
      'keep printing new output until the container stops or the claim is deleted',
    )
    .option('--tail <lines>', 'only the last N lines')
    .option('--since <duration>', 'only output of the last 10m, 1h, …')
    .option('--timestamps', 'start each line with its time')
    .option('-p, --previous', 'the run before the last restart')
    .option('--owner <username>', "another user's claim (admins)")
    .addHelpText(
      'after',
      '\nExamples:\n  utopia logs train-1 -f\n  utopia logs train-1 --tail 100 --timestamps\n  utopia logs train-1 --previous',
    )
    .action(async (name: string, flags: LogsFlags) => {
      const query = {
        follow: flags.follow ? 'true' : undefined,
        tail: flags.tail === undefined ? undefined : parseIntFlag('--tail', flags.tail, 0, 100_000),
        since:
          flags.since === undefined
            ? undefined
            : Math.max(1, Math.ceil(parseDuration('--since', flags.since) / 1000)),
        timestamps: flags.timestamps ? 'true' : undefined,
        previous: flags.previous ? 'true' : undefined,
      };
      const api = ctx.client();
      const claim = await getClaim(api, name, flags.owner);
      const controller = new AbortController();
      const stop = (): void => controller.abort();
      process.once('SIGINT', stop);
      try {
        const res = await api.send('GET', `/api/gpu-claims/${claim.id}/logs`, {
          query,
          signal: controller.signal,
        });
        if (!res.body) return;
        for await (const chunk of res.body) {
          // Backpressure: wait for the terminal or pipe before reading more.
          if (!ctx.streams.stdout.write(chunk))
            await new Promise((r) => ctx.streams.stdout.once('drain', r));
        }
      } catch (err) {
        if (!controller.signal.aborted) throw err;
      } finally {
        process.off('SIGINT', stop);
      }
    });
}
