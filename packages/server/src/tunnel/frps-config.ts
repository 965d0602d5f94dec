// frps.toml for the server's tunnel endpoint. Every choice here is a security or reliability
// decision taken from the frp notes (shared/reference/frp.md); the why sits next to each key.
import { chmod, rename, writeFile } from 'node:fs/promises';
import { renderToml, type TomlTable } from '@utopia/frp';

/** FRP_PLUGIN_PATH is used as the HTTP path frps posts server-plugin requests to. */
export const FRP_PLUGIN_PATH = '/api/tunnel/frp-plugin';

/** FRP_PLUGIN_NAME is used as the name of our `[[httpPlugins]]` entry. */
export const FRP_PLUGIN_NAME = 'utopia';

/** DEFAULT_ALLOW_PORTS is used when the operator does not choose the tunnel port range. */
export const DEFAULT_ALLOW_PORTS: PortRange = { start: 20000, end: 20999 };

/** PortRange is used for an inclusive range of TCP ports. */
export interface PortRange {
  readonly start: number;
  readonly end: number;
}

/** FrpsConfigOptions is used to describe everything frps.toml depends on. */
export interface FrpsConfigOptions {
  /** Where frpc clients connect; defaults to every interface. */
  readonly bindAddr?: string;
  readonly bindPort: number;
  /** The cluster-wide frp token, generated and stored by the server. */
  readonly authToken: string;
  /** Ports tunnels may listen on (always on 127.0.0.1). */
  readonly allowPorts?: PortRange;
  /** 0/undefined = unlimited. A node needs 1 (control) plus its claims' ports. */
  readonly maxPortsPerClient?: number;
  /** The admin API (discovery reads it); always bound to 127.0.0.1. */
  readonly webServer: { readonly port: number; readonly user: string; readonly password: string };
  /** The Utopia server's HTTP port on 127.0.0.1, where the plugin route lives. */
  readonly pluginPort: number;
  readonly pluginPath?: string;
  /** A real certificate; without it frps generates a self-signed one per start. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string };
  readonly logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
}

/** buildFrpsConfig is used to produce frps.toml as a string (pure; see writeFrpsConfig). */
export function buildFrpsConfig(opts: FrpsConfigOptions): string {
  const ports = opts.allowPorts ?? DEFAULT_ALLOW_PORTS;
  assertPortRange(ports);
  const root: TomlTable = {
    bindAddr: opts.bindAddr ?? '0.0.0.0',
    bindPort: opts.bindPort,
    // Tunnels land on the server's loopback only: agent APIs are never on the internet, and only
    // this host (the server) can reach them.
    proxyBindAddr: '127.0.0.1',
    // Random ports come from here too; keep it much larger than the tunnel count (frps tries
    // only 5 random candidates before "no available port").
    allowPorts: [{ start: ports.start, end: ports.end }],
    maxPortsPerClient: opts.maxPortsPerClient,
    auth: {
      method: 'token',
      token: opts.authToken,
      // Work connections must carry the token as well, not only the login.
      additionalScopes: ['NewWorkConns'],
    },
    transport: {
      // frpc speaks TLS by default; refusing plaintext keeps the Login metas (node credential) off
      // the wire. Heartbeats stay at defaults: setting heartbeatTimeout here without a matching
      // frpc heartbeatInterval makes frps drop every client (frp #4391, #5057).
      tls: {
        force: true,
        ...(opts.tls ? { certFile: opts.tls.certFile, keyFile: opts.tls.keyFile } : {}),
      },
    },
    // frps defaults webServer.addr to 0.0.0.0 once a port is set; the admin API must stay local.
    webServer: {
      addr: '127.0.0.1',
      port: opts.webServer.port,
      user: opts.webServer.user,
      password: opts.webServer.password,
    },
    log: { to: 'console', level: opts.logLevel ?? 'info', disablePrintColor: true },
  };
  const plugin: TomlTable = {
    name: FRP_PLUGIN_NAME,
    addr: `127.0.0.1:${opts.pluginPort}`,
    path: opts.pluginPath ?? FRP_PLUGIN_PATH,
    ops: ['Login', 'NewProxy'],
  };
  return renderToml({ root, tableArrays: { httpPlugins: [plugin] } });
}

function assertPortRange(range: PortRange): void {
  const ok =
    Number.isInteger(range.start) &&
    Number.isInteger(range.end) &&
    range.start >= 1 &&
    range.end <= 65535 &&
    range.start <= range.end;
  if (!ok) throw new RangeError(`invalid frps port range ${range.start}-${range.end}`);
}

/** writeFileSecret is used to write a secret file: mode 0600 from the start, replaced atomically. */
export async function writeFileSecret(path: string, content: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o600 });
  // `mode` only applies when the file is created; a stale temp file keeps its old mode.
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** writeFrpsConfig is used to write frps.toml (mode 0600) for the given options. */
export async function writeFrpsConfig(path: string, opts: FrpsConfigOptions): Promise<void> {
  await writeFileSecret(path, buildFrpsConfig(opts));
}
