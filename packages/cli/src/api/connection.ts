// Which server to talk to and with which token: flags, then UTOPIA_SERVER / UTOPIA_TOKEN, then
// the current (or named) context of the config file.
import { CliError, usageError } from '../errors.js';
import type { CliConfig } from '../config/config-file.js';

/** Connection is used by the API client. */
export interface Connection {
  server: string;
  token: string | undefined;
  /** The config context it came from, if any. */
  contextName: string | undefined;
}

/** ConnectionFlags is used for the global flags that override the config. */
export interface ConnectionFlags {
  server?: string | undefined;
  token?: string | undefined;
  context?: string | undefined;
}

/** normalizeServer is used to check and tidy a server URL given by a person. */
export function normalizeServer(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`server ${JSON.stringify(raw)} is not a URL (e.g. http://gpu-server:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw usageError(`server ${raw} must be http:// or https://`);
  if (url.username || url.password) throw usageError('put credentials in --token, not the URL');
  return url.toString().replace(/\/+$/, '');
}

/** resolveConnection is used before every API call. */
export function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv,
  config: CliConfig,
): Connection {
  const contextName = flags.context ?? config.currentContext;
  const context = contextName === undefined ? undefined : config.contexts[contextName];
  if (flags.context !== undefined && context === undefined)
    throw usageError(`no context ${flags.context} (see: utopia context list)`);
  const server = flags.server ?? env.UTOPIA_SERVER ?? context?.server;
  if (server === undefined)
    throw new CliError('no server: run `utopia login --server URL` or set UTOPIA_SERVER', {
      code: 'NOT_LOGGED_IN',
    });
  const token = flags.token ?? env.UTOPIA_TOKEN ?? context?.token;
  return {
    server: normalizeServer(server),
    token: token === '' ? undefined : token,
    contextName: context === undefined ? undefined : contextName,
  };
}
