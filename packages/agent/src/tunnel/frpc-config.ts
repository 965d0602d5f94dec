// frpc.toml for one agent: a single `control` tunnel from the server's frps to this agent's API.
import { chmod, rename, writeFile } from 'node:fs/promises';
import { renderToml, type TomlTable } from '@utopia/frp';

import { FRP_CREDENTIAL_META } from '@utopia/frp';
export { FRP_CREDENTIAL_META };

/** CONTROL_PROXY_NAME is used as the agent's tunnel name; frps sees it as `<nodeId>.control`. */
export const CONTROL_PROXY_NAME = 'control';

/** FRPC_ADMIN_USER is used as the user name of frpc's loopback admin API. */
export const FRPC_ADMIN_USER = 'utopia';

/** FrpcConfigOptions is used to describe everything frpc.toml depends on. */
export interface FrpcConfigOptions {
  readonly serverAddr: string;
  readonly serverPort: number;
  /** Becomes frpc's `user`: frps prefixes every proxy name with it and the plugin checks it. */
  readonly nodeId: string;
  /** The cluster-wide frps token (frp has only one). */
  readonly authToken: string;
  /** This node's own secret; the frps server plugin checks it at Login. */
  readonly nodeCredential: string;
  /** The agent API port behind the tunnel (on 127.0.0.1). */
  readonly agentPort: number;
  /** 0 (default) lets frps pick one from its allowPorts; discovery reads the real port back. */
  readonly remotePort?: number;
  readonly adminPort: number;
  readonly adminPassword: string;
  /** Verify frps's certificate; without it frpc still uses TLS but trusts any certificate. */
  readonly tls?: { readonly trustedCaFile: string; readonly serverName?: string };
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}

/** buildFrpcConfig is used to produce frpc.toml as a string (pure; see writeFrpcConfig). */
export function buildFrpcConfig(opts: FrpcConfigOptions): string {
  const root: TomlTable = {
    serverAddr: opts.serverAddr,
    serverPort: opts.serverPort,
    user: opts.nodeId,
    // Without this, frpc exits on the first failed login (frps not up yet, server restarting) and
    // only our backoff would bring it back; frpc's own retry loop (1 s doubling to 10 s) is gentler.
    loginFailExit: false,
    auth: {
      method: 'token',
      token: opts.authToken,
      // Must match frps: work connections then prove the token too, not only the login.
      additionalScopes: ['NewWorkConns'],
    },
    metadatas: { [FRP_CREDENTIAL_META]: opts.nodeCredential },
    // Heartbeats stay at frp's defaults (yamux keepalive): setting them on one side only makes
    // frps drop healthy clients (frp issues #4391, #5057).
    transport: opts.tls
      ? {
          tls: {
            enable: true,
            trustedCaFile: opts.tls.trustedCaFile,
            serverName: opts.tls.serverName,
          },
        }
      : undefined,
    // The admin API can rewrite the tunnel set (PUT /api/config), so: loopback and a password.
    webServer: {
      addr: '127.0.0.1',
      port: opts.adminPort,
      user: FRPC_ADMIN_USER,
      password: opts.adminPassword,
    },
    log: { to: 'console', level: opts.logLevel ?? 'info', disablePrintColor: true },
  };
  const control: TomlTable = {
    name: CONTROL_PROXY_NAME,
    type: 'tcp',
    localIP: '127.0.0.1',
    localPort: opts.agentPort,
    remotePort: opts.remotePort ?? 0,
  };
  return renderToml({ root, tableArrays: { proxies: [control] } });
}

/**
 * writeFileSecret is used to write a file that holds secrets: mode 0600 from the first byte, and
 * atomically (temp file + rename) so frpc never reads half a config.
 */
export async function writeFileSecret(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  // `mode` only applies when the file is created; a stale temp file keeps its old mode.
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** writeFrpcConfig is used to write frpc.toml (mode 0600) for the given options. */
export async function writeFrpcConfig(path: string, opts: FrpcConfigOptions): Promise<void> {
  await writeFileSecret(path, buildFrpcConfig(opts));
}
