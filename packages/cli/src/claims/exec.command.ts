// `utopia exec NAME [-i] [-t] -- CMD…`: a command in the claim's container, its exit code ours.
import type { Command } from 'commander';
import type { CliContext } from '../cli-context.js';
import { CliError, usageError } from '../errors.js';
import { openApiWebSocket } from '../api/websocket.js';
import { getClaim } from './claim-lookup.js';
import {
  Channel,
  closeStdinFrame,
  EXEC_PROTOCOLS,
  exitCodeOf,
  frame,
  resizeFrame,
} from './exec-protocol.js';

interface ExecFlags {
  stdin?: boolean;
  tty?: boolean;
  owner?: string;
}

/** registerExec is used to add `exec` to the program. */
export function registerExec(program: Command, ctx: CliContext): void {
  program
    .command('exec')
    .summary("run a command in a claim's container (a shell with -it)")
    .argument('<name>', 'claim name or id')
    .argument('<command...>', 'command and arguments (after --)')
    .option('-i, --stdin', 'pass stdin to the command')
    .option('-t, --tty', 'give the command a terminal (resized with yours)')
    .option('--owner <username>', "another user's claim (admins)")
    .addHelpText(
      'after',
      "\nThe exit code is the command's.\n\nExamples:\n  utopia exec train-1 -- nvidia-smi\n  utopia exec -it train-1 -- bash",
    )
    .action(async (name: string, command: string[], flags: ExecFlags) => {
      if (command.length === 0) throw usageError('exec needs a command after --');
      const api = ctx.client();
      const claim = await getClaim(api, name, flags.owner);
      const tty = flags.tty === true;
      const ws = await openApiWebSocket(
        api,
        `/api/gpu-claims/${claim.id}/exec`,
        {
          command,
          stdin: flags.stdin ? 'true' : 'false',
          stdout: 'true',
          stderr: tty ? 'false' : 'true',
          tty: tty ? 'true' : 'false',
        },
        EXEC_PROTOCOLS,
      );
      const v5 = ws.protocol === 'v5.channel.k8s.io';
      const { stdin, stdout, stderr } = ctx.streams;
      let code: number | undefined;
      let failure: string | undefined;

      const onResize = (): void => {
        if (stdout.columns && stdout.rows) ws.send(resizeFrame(stdout.columns, stdout.rows));
      };
      const raw =
        tty && flags.stdin === true && stdin.isTTY === true && stdin.setRawMode !== undefined;
      if (tty) {
        onResize();
        process.on('SIGWINCH', onResize);
      }
      if (raw) stdin.setRawMode?.(true);
      const onStdin = (chunk: Buffer | string): void => {
        ws.send(frame(Channel.Stdin, chunk));
      };
      const onStdinEnd = (): void => {
        if (v5 && ws.readyState === ws.OPEN) ws.send(closeStdinFrame());
      };
      if (flags.stdin) {
        stdin.on('data', onStdin);
        stdin.once('end', onStdinEnd);
        stdin.resume();
      }

      await new Promise<void>((resolve) => {
        ws.on('message', (data: Buffer, isBinary: boolean) => {
          const buf = isBinary ? data : Buffer.from(data);
          if (buf.length === 0) return;
          const body = buf.subarray(1);
          switch (buf[0]) {
            case Channel.Stdout:
              stdout.write(body);
              break;
            case Channel.Stderr:
              stderr.write(body);
              break;
            case Channel.Status: {
              const s = exitCodeOf(body.toString('utf8'));
              code = s.code;
              failure = s.message;
              break;
            }
          }
        });
        ws.once('close', () => resolve());
        ws.once('error', (err) => {
          failure = err.message;
          resolve();
        });
      });
      process.off('SIGWINCH', onResize);
      if (raw) stdin.setRawMode?.(false);
      stdin.off('data', onStdin);
      stdin.off('end', onStdinEnd);
      stdin.pause();
      if (code === undefined)
        throw new CliError(
          `the exec session ended without an exit code${failure ? `: ${failure}` : ''}`,
          {
            code: 'EXEC_FAILED',
          },
        );
      if (failure && code !== 0) ctx.err(`error: ${failure}\n`);
      ctx.exitCode = code;
    });
}
