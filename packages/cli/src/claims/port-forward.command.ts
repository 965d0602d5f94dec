// `utopia port-forward NAME 8888[:8888]` and `utopia ssh NAME`: TCP to a container's port through
// the server and the node's tunnel, one WebSocket per connection (docs/api.md, "Port-forward").
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import type { Command } from 'commander';
import type WebSocket from 'ws';
import { createWebSocketStream } from 'ws';
import { parseIntFlag } from '../args.js';
import type { ApiClient } from '../api/api-client.js';
import { openApiWebSocket } from '../api/websocket.js';
import type { CliContext } from '../cli-context.js';
import { CliError, messageOf, usageError } from '../errors.js';
import { getClaim } from './claim-lookup.js';

/** parsePortPair is used for `LOCAL:REMOTE`, `PORT` (same both sides) and `:REMOTE` (any local). */
export function parsePortPair(raw: string): { local: number; remote: number } {
  const m = /^(\d*):(\d+)$/.exec(raw) ?? /^()(\d+)$/.exec(raw);
  if (!m) throw usageError(`port ${JSON.stringify(raw)} must be PORT, LOCAL:REMOTE or :REMOTE`);
  const remote = parseIntFlag('remote port', m[2] ?? '', 1, 65535);
  const local = raw.includes(':')
    ? m[1] === ''
      ? 0
      : parseIntFlag('local port', m[1] ?? '', 1, 65535)
    : remote;
  return { local, remote };
}

function openForward(api: ApiClient, claimId: string, port: number): Promise<WebSocket> {
  return openApiWebSocket(api, `/api/gpu-claims/${claimId}/port-forward`, { port });
}

// One TCP connection ↔ one WebSocket; either side closing closes the other.
function bridge(socket: Socket, ws: WebSocket): void {
  const stream = createWebSocketStream(ws);
  socket.pipe(stream).pipe(socket);
  const end = (): void => {
    socket.destroy();
    stream.destroy();
  };
  socket.once('close', end);
  stream.once('close', end);
  socket.on('error', end);
  stream.on('error', end);
}

/** registerPortForward is used to add `port-forward` and `ssh` to the program. */
export function registerPortForward(program: Command, ctx: CliContext): void {
  program
    .command('port-forward')
    .summary("reach a claim's container ports from this machine")
    .argument('<name>', 'claim name or id')
    .argument('[ports...]', 'PORT, LOCAL:REMOTE or :REMOTE (any free local port)')
    .option('--address <ip>', 'local address to listen on', '127.0.0.1')
    .option(
      '--stdio <port>',
      'carry one connection to this port on stdin/stdout (for ssh ProxyCommand)',
    )
    .option('--owner <username>', "another user's claim (admins)")
    .addHelpText(
      'after',
      '\nExamples:\n  utopia port-forward notebook 8888          # then open http://localhost:8888\n  utopia port-forward train-1 6006:6006 2222:22',
    )
    .action(
      async (
        name: string,
        ports: string[],
        flags: { address: string; stdio?: string; owner?: string },
      ) => {
        const api = ctx.client();
        const claim = await getClaim(api, name, flags.owner);
        if (flags.stdio !== undefined) {
          if (ports.length > 0)
            throw usageError('--stdio takes its port itself; give no other ports');
          const ws = await openForward(
            api,
            claim.id,
            parseIntFlag('--stdio', flags.stdio, 1, 65535),
          );
          const stream = createWebSocketStream(ws);
          ctx.streams.stdin.pipe(stream).pipe(ctx.streams.stdout);
          await new Promise<void>((resolve) => {
            stream.once('close', resolve);
            stream.once('error', () => resolve());
          });
          return;
        }
        if (ports.length === 0) throw usageError('port-forward needs at least one port');
        const pairs = ports.map(parsePortPair);
        const servers = await Promise.all(
          pairs.map(
            ({ local, remote }) =>
              new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
                const server = createServer((socket) => {
                  socket.pause();
                  openForward(api, claim.id, remote).then(
                    (ws) => {
                      bridge(socket, ws);
                      socket.resume();
                    },
                    (err: unknown) => {
                      ctx.err(`error: forwarding to port ${remote}: ${messageOf(err)}\n`);
                      socket.destroy();
                    },
                  );
                });
                server.once('error', (err) =>
                  reject(
                    new CliError(`cannot listen on ${flags.address}:${local}: ${err.message}`, {
                      code: 'LISTEN_FAILED',
                    }),
                  ),
                );
                server.listen(local, flags.address, () => {
                  const address = server.address();
                  const port = typeof address === 'object' && address ? address.port : local;
                  ctx.out(`Forwarding from ${flags.address}:${port} -> ${remote}\n`);
                  resolve(server);
                });
              }),
          ),
        );
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        for (const s of servers) s.close();
      },
    );

  program
    .command('ssh')
    .summary("ssh into a claim's container (the image must serve SSH)")
    .argument('<name>', 'claim name or id')
    .argument('[ssh-args...]', 'more arguments for ssh (after --)')
    .option('-l, --login <user>', 'remote user', 'root')
    .option('--port <port>', 'the SSH port in the container', '22')
    .option('--owner <username>', "another user's claim (admins)")
    .addHelpText(
      'after',
      '\nRuns your ssh with a ProxyCommand of `utopia port-forward --stdio`; keys and agent are yours.\n\nExamples:\n  utopia ssh train-1\n  utopia ssh train-1 -- -L 8888:localhost:8888',
    )
    .action(
      async (
        name: string,
        sshArgs: string[],
        flags: { login: string; port: string; owner?: string },
      ) => {
        const port = parseIntFlag('--port', flags.port, 1, 65535);
        const claim = await getClaim(ctx.client(), name, flags.owner);
        const self = [process.execPath, process.argv[1] ?? 'utopia'].map(shellQuote).join(' ');
        const globals = ctx.flags.context ? ` --context ${shellQuote(ctx.flags.context)}` : '';
        const owner = flags.owner ? ` --owner ${shellQuote(flags.owner)}` : '';
        const proxy = `${self}${globals} port-forward ${claim.id}${owner} --stdio ${port}`;
        const args = [
          '-o',
          `ProxyCommand=${proxy}`,
          '-o',
          `HostKeyAlias=utopia-${claim.id}`,
          ...sshArgs,
          `${flags.login}@${claim.name}`,
        ];
        const code = await new Promise<number>((resolve, reject) => {
          const child = spawn('ssh', args, { stdio: 'inherit' });
          child.once('error', (err) =>
            reject(new CliError(`cannot run ssh: ${err.message}`, { code: 'SSH_FAILED' })),
          );
          child.once('exit', (c) => resolve(c ?? 1));
        });
        ctx.exitCode = code;
      },
    );
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
