// Reads frpc's own admin API (`GET /api/status`): the only place frpc reports per-proxy failures
// such as "port already used" — its process staying alive says nothing about the tunnel.

/** FrpcProxyPhase is used for frpc's proxy phases (kept open: frp may add more). */
export type FrpcProxyPhase =
  'new' | 'wait start' | 'start error' | 'running' | 'check failed' | 'closed' | (string & {});

/** FrpcProxyStatus is used for one proxy as frpc reports it. */
export interface FrpcProxyStatus {
  /** frpc-side name (v0.68+: without the user prefix, e.g. `control`). */
  readonly name: string;
  readonly type: string;
  readonly phase: FrpcProxyPhase;
  /** frpc's error text, e.g. `proxy [n.control] already exists`; "" when none. */
  readonly error: string;
  readonly localAddr: string;
  /** `serverAddr:port` once running; "" otherwise. */
  readonly remoteAddr: string;
}

/** FrpcAdminOptions is used to reach frpc's loopback admin API. */
export interface FrpcAdminOptions {
  readonly baseUrl: string;
  readonly user: string;
  readonly password: string;
  readonly timeoutMs?: number;
  readonly fetchFn?: typeof fetch;
}

/** fetchFrpcStatus is used to read and parse `GET /api/status`; throws when frpc does not answer. */
export async function fetchFrpcStatus(opts: FrpcAdminOptions): Promise<FrpcProxyStatus[]> {
  const fetchFn = opts.fetchFn ?? fetch;
  const auth = `Basic ${Buffer.from(`${opts.user}:${opts.password}`).toString('base64')}`;
  const res = await fetchFn(`${opts.baseUrl.replace(/\/+$/, '')}/api/status`, {
    headers: { authorization: auth, accept: 'application/json' },
    signal: AbortSignal.timeout(opts.timeoutMs ?? 2_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`frpc admin API answered ${res.status}`);
  return parseFrpcStatus(JSON.parse(text) as unknown);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/**
 * parseFrpcStatus is used to flatten `{ "<type>": [ProxyStatusResp…] }`. `{}` is what frpc
 * answers while it is not logged in, so an empty list means "not connected (yet)".
 */
export function parseFrpcStatus(body: unknown): FrpcProxyStatus[] {
  if (!isRecord(body)) throw new Error('frpc admin API: expected an object');
  const out: FrpcProxyStatus[] = [];
  for (const [type, list] of Object.entries(body)) {
    if (!Array.isArray(list)) continue;
    for (const item of list) {
      if (!isRecord(item) || str(item['name']) === '') continue;
      out.push({
        name: str(item['name']),
        type: str(item['type']) || type,
        phase: str(item['status']),
        error: str(item['err']),
        localAddr: str(item['local_addr']),
        remoteAddr: str(item['remote_addr']),
      });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/** TunnelHealth is used to summarise one proxy for the agent's health report. */
export const TunnelHealth = {
  Running: 'running',
  /** Not logged in to frps (frps down, rejected login) or the proxy not registered yet. */
  Disconnected: 'disconnected',
  /** frps still holds the name/port from an old session; frpc retries every 30 s (frp #3626). */
  Conflict: 'conflict',
  Error: 'error',
  Pending: 'pending',
} as const;

/** TunnelHealth values as a union. */
export type TunnelHealth = (typeof TunnelHealth)[keyof typeof TunnelHealth];

const CONFLICT = /already exists|port already used|port unavailable|no available port/i;

/** tunnelHealth is used to classify the named proxy from a status list. */
export function tunnelHealth(proxies: readonly FrpcProxyStatus[], name: string): TunnelHealth {
  const proxy = proxies.find((p) => p.name === name || p.name.endsWith(`.${name}`));
  if (!proxy) return TunnelHealth.Disconnected;
  if (proxy.phase === 'running') return TunnelHealth.Running;
  if (CONFLICT.test(proxy.error)) return TunnelHealth.Conflict;
  if (proxy.phase === 'start error' || proxy.phase === 'check failed') return TunnelHealth.Error;
  return TunnelHealth.Pending;
}
