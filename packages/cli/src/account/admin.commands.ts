// `utopia users …`, `utopia tokens …`, `utopia join-token …`.
import type { Command } from 'commander';
import {
  ApiTokenList,
  CreatedApiToken,
  CreatedJoinToken,
  JoinTokenList,
  User,
  UserList,
  type Role,
  type UpdateUserRequest,
} from '@utopia/shared';
import { Option } from 'commander';
import { parseDuration, parseIntFlag } from '../args.js';
import type { ApiClient } from '../api/api-client.js';
import type { CliContext } from '../cli-context.js';
import { CliError, usageError } from '../errors.js';
import { formatList, parseOutputFormat, type Columns } from '../output/format.js';
import { age } from '../output/table.js';
import { promptSecret, readLine } from './prompt.js';

const userColumns: Columns<User> = {
  kind: 'user',
  name: (u) => u.username,
  headers: ['NAME', 'ROLE', 'DISABLED', 'GPU-QUOTA', 'AGE'],
  row: (u) => [
    u.username,
    u.role,
    u.disabled ? 'yes' : 'no',
    u.gpuQuota === null ? 'none' : String(u.gpuQuota),
    age(u.createdAt),
  ],
  wideHeaders: ['ID'],
  wideRow: (u) => [u.id],
};

async function findUser(api: ApiClient, username: string): Promise<User> {
  const list = await api.call('GET', '/api/users', UserList);
  const user = list.items.find((u) => u.username === username || u.id === username);
  if (!user) throw new CliError(`user ${username} not found`, { code: 'NOT_FOUND', status: 404 });
  return user;
}

function parseQuota(raw: string): number | null {
  return raw === 'none' ? null : parseIntFlag('--gpu-quota', raw, 0, 100000);
}

async function newPassword(
  ctx: CliContext,
  stdin: boolean | undefined,
  who: string,
): Promise<string> {
  return stdin
    ? readLine(ctx.streams.stdin)
    : promptSecret(ctx.streams, `New password for ${who}: `);
}

/** registerAdminCommands is used to add users, tokens and join-token. */
export function registerAdminCommands(program: Command, ctx: CliContext): void {
  const users = program.command('users').summary('manage users (admins)');
  users
    .command('list')
    .alias('ls')
    .option('-o, --output <format>', 'table, wide, json, yaml, name', 'table')
    .action(async (flags: { output: string }) => {
      const list = await ctx.client().call('GET', '/api/users', UserList);
      ctx.out(formatList(list.items, parseOutputFormat(flags.output), userColumns));
    });
  users
    .command('create')
    .argument('<username>')
    .addOption(new Option('--role <role>', 'role').choices(['user', 'admin']).default('user'))
    .option('--gpu-quota <n>', 'most GPUs held at once, or none')
    .option('--password-stdin', 'read the password from stdin instead of asking')
    .addHelpText(
      'after',
      '\nExamples:\n  utopia users create alice --gpu-quota 4\n  echo "$PW" | utopia users create bob --password-stdin',
    )
    .action(
      async (
        username: string,
        flags: { role: Role; gpuQuota?: string; passwordStdin?: boolean },
      ) => {
        const body = {
          username,
          password: await newPassword(ctx, flags.passwordStdin, username),
          role: flags.role,
          ...(flags.gpuQuota === undefined ? {} : { gpuQuota: parseQuota(flags.gpuQuota) }),
        };
        const user = await ctx.client().call('POST', '/api/users', User, { body });
        ctx.out(`user/${user.username} created\n`);
      },
    );
  users
    .command('update')
    .argument('<username>')
    .addOption(new Option('--role <role>', 'new role').choices(['user', 'admin']))
    .option('--gpu-quota <n>', 'most GPUs held at once, or none')
    .option('--disable', 'disable the account (its tokens stop working)')
    .option('--enable', 'enable it again')
    .option('--password-stdin', 'set a new password read from stdin')
    .action(
      async (
        username: string,
        flags: {
          role?: Role;
          gpuQuota?: string;
          disable?: boolean;
          enable?: boolean;
          passwordStdin?: boolean;
        },
      ) => {
        if (flags.disable && flags.enable)
          throw usageError('--disable and --enable cannot go together');
        const body: UpdateUserRequest = {};
        if (flags.role) body.role = flags.role;
        if (flags.gpuQuota !== undefined) body.gpuQuota = parseQuota(flags.gpuQuota);
        if (flags.disable) body.disabled = true;
        if (flags.enable) body.disabled = false;
        if (flags.passwordStdin) body.password = await readLine(ctx.streams.stdin);
        if (Object.keys(body).length === 0)
          throw usageError(
            'nothing to change: give --role, --gpu-quota, --disable, --enable or --password-stdin',
          );
        const api = ctx.client();
        const user = await findUser(api, username);
        await api.call('PATCH', `/api/users/${user.id}`, User, { body });
        ctx.out(`user/${user.username} updated\n`);
      },
    );

  const tokens = program.command('tokens').summary('your API tokens (for scripts and CI)');
  tokens
    .command('list')
    .alias('ls')
    .option('-o, --output <format>', 'table, wide, json, yaml, name', 'table')
    .action(async (flags: { output: string }) => {
      const list = await ctx.client().call('GET', '/api/auth/tokens', ApiTokenList);
      ctx.out(
        formatList(list.items, parseOutputFormat(flags.output), {
          kind: 'token',
          name: (t) => t.id,
          headers: ['ID', 'NAME', 'EXPIRES', 'LAST-USED', 'REVOKED'],
          row: (t) => [
            t.id,
            t.name,
            t.expiresAt ?? 'never',
            t.lastUsedAt ?? 'never',
            t.revoked ? 'yes' : 'no',
          ],
          wideHeaders: ['CREATED'],
          wideRow: (t) => [t.createdAt],
        }),
      );
    });
  tokens
    .command('create')
    .argument('<name>', 'what the token is for, e.g. ci-pipeline')
    .option('--expires-in-days <n>', 'days until it stops working (default: never)')
    .action(async (name: string, flags: { expiresInDays?: string }) => {
      const body = {
        name,
        ...(flags.expiresInDays === undefined
          ? {}
          : { expiresInDays: parseIntFlag('--expires-in-days', flags.expiresInDays, 1, 3650) }),
      };
      const created = await ctx
        .client()
        .call('POST', '/api/auth/tokens', CreatedApiToken, { body });
      ctx.err('The token is shown only now; store it safely:\n');
      ctx.out(`${created.token}\n`);
    });
  tokens
    .command('revoke')
    .argument('<id>')
    .action(async (id: string) => {
      await ctx.client().act('DELETE', `/api/auth/tokens/${encodeURIComponent(id)}`);
      ctx.out(`token/${id} revoked\n`);
    });

  const join = program.command('join-token').summary('let new nodes join (admins)');
  join
    .command('create')
    .option('--expires <duration>', 'how long it can be used, e.g. 24h, 7d', '24h')
    .option('--max-uses <n>', 'how many nodes may join with it')
    .option('--description <text>', 'what it is for')
    .addHelpText(
      'after',
      '\nExamples:\n  utopia join-token create --expires 1h --max-uses 1 --description "gpu-07"',
    )
    .action(async (flags: { expires: string; maxUses?: string; description?: string }) => {
      const hours = Math.ceil(parseDuration('--expires', flags.expires) / 3_600_000);
      const body = {
        expiresInHours: Math.min(hours, 24 * 365),
        ...(flags.maxUses === undefined
          ? {}
          : { maxUses: parseIntFlag('--max-uses', flags.maxUses, 1, 100000) }),
        ...(flags.description === undefined ? {} : { description: flags.description }),
      };
      const api = ctx.client();
      const created = await api.call('POST', '/api/join-tokens', CreatedJoinToken, { body });
      ctx.err(
        `Join token ${created.joinToken.id}, valid until ${created.joinToken.expiresAt}. On the new node run:\n`,
      );
      ctx.out(`utopia-agent --server-url ${api.connection.server} --join-token ${created.token}\n`);
    });
  join
    .command('list')
    .alias('ls')
    .option('-o, --output <format>', 'table, wide, json, yaml, name', 'table')
    .action(async (flags: { output: string }) => {
      const list = await ctx.client().call('GET', '/api/join-tokens', JoinTokenList);
      ctx.out(
        formatList(list.items, parseOutputFormat(flags.output), {
          kind: 'join-token',
          name: (t) => t.id,
          headers: ['ID', 'DESCRIPTION', 'USES', 'EXPIRES', 'REVOKED'],
          row: (t) => [
            t.id,
            t.description,
            `${t.useCount}/${t.maxUses ?? '∞'}`,
            t.expiresAt,
            t.revoked ? 'yes' : 'no',
          ],
          wideHeaders: ['CREATED'],
          wideRow: (t) => [t.createdAt],
        }),
      );
    });
  join
    .command('revoke')
    .argument('<id>')
    .action(async (id: string) => {
      await ctx.client().act('DELETE', `/api/join-tokens/${encodeURIComponent(id)}`);
      ctx.out(`join-token/${id} revoked\n`);
    });
}
