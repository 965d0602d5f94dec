// Discovery client for the frps admin API (`webServer`): which tunnels exist, on which ports.
// Only `GET /api/proxy/tcp` is used; it exists in every TOML-era frps (the v2 API needs v0.70+).

/** FrpsProxyInfo is used for one tcp proxy as frps reports it (wire name, user prefix included). */
export interface FrpsProxyInfo {
  /** Wire name, `<user>.<name>` when frpc set `user` (we set it to the node id). */
  readonly name: string;
  /** frpc's `user` (frps v0.67+); absent on older frps. */
  readonly user?: string;
  readonly clientId?: string;
  /** `online` or `offline` (kept as a string: frp may add phases). */
  readonly status: string;
  /** The port frps listens on (on proxyBindAddr); undefined when offline (frps drops `conf`). */
  readonly remotePort?: number;
  readonly curConns: number;
  /** frps's "MM-DD HH:mm:ss" (no year, server time zone), "" if never. */
  readonly lastStartTime: string;
  readonly lastCloseTime: string;
}

/** FrpsAdminClientOptions is used to reach the admin API (Basic auth, bounded by a timeout). */
export interface FrpsAdminClientOptions {
  /** e.g. `http://127.0.0.1:7500` */
  readonly baseUrl: string;
  readonly user: string;
  readonly password: string;
  readonly timeoutMs?: number;
  readonly fetchFn?: typeof fetch;
}

/** FrpsAdminClient is used by discovery to list tunnels. */
export interface FrpsAdminClient {
  listTcpProxies(): Promise<FrpsProxyInfo[]>;
}

/** FrpsAdminError is used when the admin API is unreachable or answers something unexpected. */
export class FrpsAdminError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number, options?: ErrorOptions) {
    super(message, options);
    this.name = 'FrpsAdminError';
    this.status = status;
  }
}

/** CONTROL_SUFFIX is used to recognise agent control tunnels: `<nodeId>.control`. */
export const CONTROL_SUFFIX = '.control';

/** createFrpsAdminClient is used to build a client for one frps admin endpoint. */
export function createFrpsAdminClient(opts: FrpsAdminClientOptions): FrpsAdminClient {
  const fetchFn = opts.fetchFn ?? fetch;
  const auth = `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}`;
  return {
    async listTcpProxies() {
      const url = `${opts.baseUrl.replace(/\/+$/, '')}/api/proxy/tcp`;
      let res: Response;
      try {
        res = await fetchFn(url, {
          headers: { authorization: auth, accept: 'application/json' },
          // An unanswered request must not stall the health loop (the original had no timeout).
          signal: AbortSignal.timeout(opts.timeoutMs ?? 3_000),
        });
      } catch (error) {
        throw new FrpsAdminError(`frps admin API unreachable: ${String(error)}`, undefined, {
          cause: error,
        });
      }
      const text = await res.text();
      if (!res.ok) {
        throw new FrpsAdminError(`frps admin API answered ${res.status}`, res.status);
      }
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch (error) {
        throw new FrpsAdminError('frps admin API sent invalid JSON', res.status, { cause: error });
      }
      return parseProxyList(body);
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function int(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isInteger(value) ? value : undefined;
}

/**
 * parseProxyList is used to read `{ "proxies": [...] }` from `GET /api/proxy/{type}`. Unknown
 * fields are ignored and malformed entries skipped, so a newer frps cannot break discovery.
 */
export function parseProxyList(body: unknown): FrpsProxyInfo[] {
  if (!isRecord(body)) throw new FrpsAdminError('frps admin API: expected an object');
  // frps marshals a nil slice as null when no proxy of that type exists.
  if (body['proxies'] === null || body['proxies'] === undefined) return [];
  const list = body['proxies'];
  if (!Array.isArray(list)) throw new FrpsAdminError('frps admin API: "proxies" is not a list');
  const out: FrpsProxyInfo[] = [];
  for (const item of list) {
    const parsed = parseProxy(item);
    if (parsed) out.push(parsed);
  }
  return out;
}

function parseProxy(item: unknown): FrpsProxyInfo | undefined {
  if (!isRecord(item)) return undefined;
  const name = str(item['name']);
  if (!name) return undefined;
  const conf = isRecord(item['conf']) ? item['conf'] : undefined;
  const remotePort = int(conf?.['remotePort']);
  const user = str(item['user']);
  const clientId = str(item['clientID']);
  return {
    name,
    ...(user ? { user } : {}),
    ...(clientId ? { clientId } : {}),
    status: str(item['status']) ?? 'unknown',
    ...(remotePort && remotePort > 0 ? { remotePort } : {}),
    curConns: int(item['curConns']) ?? 0,
    lastStartTime: str(item['lastStartTime']) ?? '',
    lastCloseTime: str(item['lastCloseTime']) ?? '',
  };
}

/**
 * matchControlTunnels is used to map node id → tunnel port from the proxy list: only online
 * `<nodeId>.control` proxies with a port. When frps reports `user`, it must match the name's
 * prefix too (the plugin already enforces this; discovery does not trust a single check).
 */
export function matchControlTunnels(proxies: readonly FrpsProxyInfo[]): Map<string, number> {
  const ports = new Map<string, number>();
  for (const proxy of proxies) {
    if (proxy.status !== 'online' || proxy.remotePort === undefined) continue;
    if (!proxy.name.endsWith(CONTROL_SUFFIX)) continue;
    const nodeId = proxy.name.slice(0, -CONTROL_SUFFIX.length);
    if (nodeId === '') continue;
    if (proxy.user !== undefined && proxy.user !== nodeId) continue;
    ports.set(nodeId, proxy.remotePort);
  }
  return ports;
}
