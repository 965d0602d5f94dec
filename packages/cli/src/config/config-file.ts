// The CLI's config file: named contexts (server URL + credential), like kubeconfig. It holds
// secrets, so it is written 0600 in a 0700 directory, atomically, and read with distrust.
import { Type, type Static } from '@sinclair/typebox';
import { wireCheck } from '@utopia/shared';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CliError, messageOf } from '../errors.js';

const ContextName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
});

/** Context is used for one server the CLI can talk to, and who it is there. */
export const Context = Type.Object(
  {
    server: Type.String({ minLength: 1, maxLength: 2048 }),
    token: Type.Optional(Type.String({ maxLength: 4096 })),
    username: Type.Optional(Type.String({ maxLength: 64 })),
    /** The API token login created, so that logout can revoke it. */
    tokenId: Type.Optional(Type.String({ maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type Context = Static<typeof Context>;

/** CliConfig is used for the whole file. */
export const CliConfig = Type.Object(
  {
    currentContext: Type.Optional(ContextName),
    contexts: Type.Record(Type.String(), Context),
  },
  { additionalProperties: false },
);
export type CliConfig = Static<typeof CliConfig>;

const isConfig = wireCheck(CliConfig);
const isContextName = wireCheck(ContextName);

/** configPath is used to find the file: $UTOPIA_CONFIG, else ~/.config/utopia/config.yaml. */
export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.UTOPIA_CONFIG) return env.UTOPIA_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'utopia', 'config.yaml');
}

/** readConfig is used at every command; a missing file is an empty config. */
export function readConfig(path: string): CliConfig {
  if (!existsSync(path)) return { contexts: {} };
  let data: unknown;
  try {
    data = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError(`${path} is not valid YAML: ${messageOf(err)}`, { code: 'BAD_CONFIG' });
  }
  if (data === null || data === undefined) return { contexts: {} };
  if (!isConfig(data))
    throw new CliError(`${path} is not a utopia config (fix or remove it, then log in again)`, {
      code: 'BAD_CONFIG',
    });
  return data;
}

/** writeConfig is used by login, logout and context: 0600 in a 0700 directory, replaced at once. */
export function writeConfig(path: string, config: CliConfig): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // A directory that existed before keeps its mode unless it is ours to tighten.
  if ((statSync(dir).mode & 0o077) !== 0 && dir.endsWith(join('.config', 'utopia')))
    chmodSync(dir, 0o700);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, stringify(config), { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

/** checkContextName is used where a user names a context. */
export function checkContextName(name: string): string {
  if (!isContextName(name))
    throw new CliError(`context name ${JSON.stringify(name)} must be letters, digits, ., _ or -`, {
      exitCode: 2,
      code: 'USAGE',
    });
  return name;
}

/** contextNameFor is used by login to name a new context after its server's host. */
export function contextNameFor(server: string): string {
  const host = new URL(server).host.replace(/[^A-Za-z0-9._-]/g, '-');
  return /^[A-Za-z0-9]/.test(host) ? host.slice(0, 64) : `ctx-${host}`.slice(0, 64);
}
