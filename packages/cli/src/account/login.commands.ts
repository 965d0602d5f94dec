// `utopia login`, `logout`, `whoami`, and `context`: who the CLI is, on which server.
import { hostname } from 'node:os';
import type { Command } from 'commander';
import { CreatedApiToken, LoginResponse, User } from '@utopia/shared';
import { ApiClient } from '../api/api-client.js';
import { normalizeServer } from '../api/connection.js';
import type { CliContext } from '../cli-context.js';
import { checkContextName, contextNameFor } from '../config/config-file.js';
import { CliError, usageError } from '../errors.js';
import { renderTable } from '../output/table.js';
import { promptSecret, readLine } from './prompt.js';

interface LoginFlags {
  username?: string;
  passwordStdin?: boolean;
  name?: string;
}

/** registerLogin is used to add login, logout, whoami and context. */
export function registerLogin(program: Command, ctx: CliContext): void {
  program
    .command('login')
    .summary('sign in to a server and remember it as a context')
    .option('--username <name>', 'your username (asked when missing)')
    .option('--password-stdin', 'read the password from stdin instead of asking')
    .option('--name <context>', 'name of the context to save (default: the server host)')
    .addHelpText(
      'after',
      `
With a password, login creates an API token named after this machine and stores it (mode 0600)
in ~/.config/utopia/config.yaml; logout revokes it. With --token (or UTOPIA_TOKEN) it stores that
token as given. The server comes from --server, UTOPIA_SERVER or the current context.

Examples:
  utopia login --server http://gpu-server:8080 --username alice
  echo "$PASSWORD" | utopia login --server http://gpu-server:8080 --username alice --password-stdin
  utopia login --server http://gpu-server:8080 --token utp_…`,
    )
    .action(async (flags: LoginFlags) => {
      const config = ctx.readConfig();
      const current = config.currentContext ? config.contexts[config.currentContext] : undefined;
      const rawServer = ctx.flags.server ?? ctx.env.UTOPIA_SERVER ?? current?.server;
      if (rawServer === undefined) throw usageError('login needs --server URL (or UTOPIA_SERVER)');
      const server = normalizeServer(rawServer);
      const givenToken = ctx.flags.token ?? ctx.env.UTOPIA_TOKEN;
      let token: string;
      let tokenId: string | undefined;
      let user: User;
      if (givenToken !== undefined) {
        token = givenToken;
        user = await new ApiClient({ server, token, contextName: undefined }).call(
          'GET',
          '/api/auth/me',
          User,
        );
      } else {
        const username = flags.username ?? current?.username;
        if (username === undefined) throw usageError('login needs --username (or --token)');
        const password = flags.passwordStdin
          ? await readLine(ctx.streams.stdin)
          : await promptSecret(ctx.streams, `Password for ${username}@${new URL(server).host}: `);
        const anonymous = new ApiClient({ server, token: undefined, contextName: undefined });
        const session = await anonymous.call('POST', '/api/auth/login', LoginResponse, {
          body: { username, password },
        });
        const created = await new ApiClient({
          server,
          token: session.token,
          contextName: undefined,
        }).call('POST', '/api/auth/tokens', CreatedApiToken, {
          body: { name: `utopia-cli@${hostname()}`.slice(0, 100), expiresInDays: 90 },
        });
        token = created.token;
        tokenId = created.apiToken.id;
        user = session.user;
      }
      const name = flags.name === undefined ? contextNameFor(server) : checkContextName(flags.name);
      config.contexts[name] = {
        server,
        token,
        username: user.username,
        ...(tokenId === undefined ? {} : { tokenId }),
      };
      config.currentContext = name;
      ctx.writeConfig(config);
      ctx.out(`Logged in to ${server} as ${user.username} (${user.role}); context ${name}\n`);
    });

  program
    .command('logout')
    .summary('forget the current context’s token (and revoke it when login created it)')
    .action(async () => {
      const config = ctx.readConfig();
      const name = ctx.flags.context ?? config.currentContext;
      const context = name === undefined ? undefined : config.contexts[name];
      if (name === undefined || context === undefined)
        throw new CliError('not logged in', { code: 'NOT_LOGGED_IN' });
      if (context.token !== undefined && context.tokenId !== undefined) {
        // Best effort: the token goes from the file either way.
        const api = new ApiClient({
          server: context.server,
          token: context.token,
          contextName: name,
        });
        await api
          .act('DELETE', `/api/auth/tokens/${encodeURIComponent(context.tokenId)}`)
          .catch((err: unknown) => {
            ctx.err(
              `warning: could not revoke the token on the server: ${err instanceof Error ? err.message : String(err)}\n`,
            );
          });
      }
      delete context.token;
      delete context.tokenId;
      ctx.writeConfig(config);
      ctx.out(`Logged out of ${context.server} (context ${name})\n`);
    });

  program
    .command('whoami')
    .summary('show who you are signed in as, and where')
    .action(async () => {
      const api = ctx.client();
      const me = await api.call('GET', '/api/auth/me', User);
      const where = api.connection.contextName ? ` (context ${api.connection.contextName})` : '';
      ctx.out(`${me.username} (${me.role}) at ${api.connection.server}${where}\n`);
    });

  const context = program.command('context').summary('list and switch between servers (contexts)');
  context
    .command('list')
    .alias('ls')
    .description('list contexts; * marks the current one')
    .action(() => {
      const config = ctx.readConfig();
      const rows = Object.entries(config.contexts).map(([name, c]) => [
        name === config.currentContext ? '*' : '',
        name,
        c.server,
        c.username ?? '',
        c.token ? 'yes' : 'no',
      ]);
      ctx.out(renderTable(['CURRENT', 'NAME', 'SERVER', 'USER', 'TOKEN'], rows));
    });
  context
    .command('use')
    .description('make a context the current one')
    .argument('<name>')
    .action((name: string) => {
      const config = ctx.readConfig();
      if (!config.contexts[name]) throw usageError(`no context ${name} (see: utopia context list)`);
      config.currentContext = name;
      ctx.writeConfig(config);
      ctx.out(`Switched to context ${name}\n`);
    });
  context
    .command('current')
    .description('print the current context')
    .action(() => {
      const current = ctx.readConfig().currentContext;
      if (current === undefined)
        throw new CliError('no current context', { code: 'NOT_LOGGED_IN' });
      ctx.out(`${current}\n`);
    });
  context
    .command('delete')
    .description('remove a context from the config file')
    .argument('<name>')
    .action((name: string) => {
      const config = ctx.readConfig();
      if (!config.contexts[name]) throw usageError(`no context ${name}`);
      delete config.contexts[name];
      if (config.currentContext === name) delete config.currentContext;
      ctx.writeConfig(config);
      ctx.out(`Deleted context ${name}\n`);
    });
}
