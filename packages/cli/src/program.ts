// The `utopia` command tree. main.ts runs it against the real process; tests run the built binary.
import { Command, CommanderError, Option } from 'commander';
import { ServerVersion } from '@utopia/shared';
import { registerAdminCommands } from './account/admin.commands.js';
import { registerLogin } from './account/login.commands.js';
import { registerApply } from './claims/apply.command.js';
import { getClaims, registerClaimCommands } from './claims/claims.commands.js';
import { registerRun } from './claims/run.command.js';
import { registerLogs } from './claims/logs.command.js';
import { registerExec } from './claims/exec.command.js';
import { registerPortForward } from './claims/port-forward.command.js';
import type { CliContext } from './cli-context.js';
import { getNodes, registerNodeCommands } from './cluster/nodes.commands.js';
import { completionScript } from './completion.js';
import { CliError, ExitCode, messageOf, usageError } from './errors.js';
import { CLI_VERSION } from './version.js';

/** buildProgram is used to make the command tree for one run. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('utopia')
    .description('Utopia: GPU containers on your cluster, from a terminal')
    .option('--server <url>', 'server URL (default: UTOPIA_SERVER, then the current context)')
    .option('--token <token>', 'API token (default: UTOPIA_TOKEN, then the current context)')
    .option('--context <name>', 'use this context of the config file instead of the current one')
    .option('--version', 'print the client and server versions')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.out(s),
      writeErr: (s) => ctx.err(s),
    })
    .exitOverride()
    .allowExcessArguments(true)
    .action(async (opts: { version?: boolean }) => {
      const [unknown] = program.args;
      if (unknown !== undefined)
        throw usageError(`unknown command ${JSON.stringify(unknown)} (see: utopia --help)`);
      if (opts.version) await printVersions(ctx);
      else program.outputHelp();
    });
  program.hook('preAction', (_this, action) => {
    const g = action.optsWithGlobals<{ server?: string; token?: string; context?: string }>();
    ctx.setFlags({ server: g.server, token: g.token, context: g.context });
  });

  const get = program.command('get').summary('list claims or nodes');
  get
    .command('claims')
    .alias('claim')
    .description('list your claims (admins: everyone’s), or the named ones')
    .argument('[names...]', 'claim names or ids')
    .option('-o, --output <format>', 'table, wide, json, yaml, name', 'table')
    .option('-w, --watch', 'keep printing changes')
    .option('--owner <username>', "another user's claims (admins)")
    .option('-l, --label <KEY=VALUE>', 'only claims with this label')
    .addOption(
      new Option('--phase <phase>', 'only claims in this phase').choices([
        'Pending',
        'Scheduled',
        'Running',
        'Succeeded',
        'Failed',
        'Terminating',
      ]),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  utopia get claims\n  utopia get claims -w\n  utopia get claim train-1 -o yaml',
    )
    .action((names: string[], flags) => getClaims(ctx, names, flags));
  get
    .command('nodes')
    .alias('node')
    .description('list nodes with their GPUs')
    .argument('[names...]', 'node hostnames or ids')
    .option('-o, --output <format>', 'table, wide, json, yaml, name', 'table')
    .action((names: string[], flags: { output: string }) => getNodes(ctx, names, flags));

  const describe = program.command('describe').summary('show one claim or node in detail');
  registerRun(program, ctx);
  registerApply(program, ctx);
  registerClaimCommands(program, ctx, describe);
  registerLogs(program, ctx);
  registerExec(program, ctx);
  registerPortForward(program, ctx);
  registerNodeCommands(program, ctx, describe);
  registerLogin(program, ctx);
  registerAdminCommands(program, ctx);

  program
    .command('completion')
    .summary('print a shell completion script')
    .argument('<shell>', 'bash, zsh or fish')
    .addHelpText(
      'after',
      '\nExamples:\n  source <(utopia completion bash)          # in ~/.bashrc\n  utopia completion zsh > "${fpath[1]}/_utopia"\n  utopia completion fish | source',
    )
    .action((shell: string) => ctx.out(completionScript(program, shell)));
  program
    .command('version')
    .summary('print the client and server versions')
    .action(() => printVersions(ctx));
  return program;
}

async function printVersions(ctx: CliContext): Promise<void> {
  ctx.out(`client: ${CLI_VERSION}\n`);
  try {
    const v = await ctx.client().call('GET', '/api/version', ServerVersion);
    ctx.out(`server: ${v.version}\n`);
  } catch (err) {
    ctx.out(`server: unknown (${messageOf(err)})\n`);
  }
}

/** runCli is used by main: parse, run, and turn every outcome into an exit code. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv]);
    return ctx.exitCode ?? ExitCode.Ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
        return ExitCode.Ok;
      // commander has printed the message already.
      return ExitCode.Usage;
    }
    if (err instanceof CliError) {
      ctx.err(`error: ${err.message}${err.code && err.code !== 'USAGE' ? ` (${err.code})` : ''}\n`);
      return err.exitCode;
    }
    ctx.err(`error: ${messageOf(err)}\n`);
    return ExitCode.Failure;
  }
}
