// The chaos workload's client of the public REST API, through the load balancer: every answer is
// checked for its status and the one field used, never cast.
/** CreateOutcome is used to tell an acknowledged create (201) from everything else. */
export type CreateOutcome = { acked: true; id: string } | { acked: false; status: number };

/** ChaosApi is used by the runner for the few calls it makes. */
export interface ChaosApi {
  createClaim(name: string, gpuCount: number, image: string): Promise<CreateOutcome>;
  /** deleteClaim is used to request a deletion; true when the server accepted it (or it is gone). */
  deleteClaim(id: string): Promise<boolean>;
  createJoinToken(): Promise<string>;
  onlineNodes(): Promise<number>;
}

const TIMEOUT_MS = 10_000;

const field = (body: unknown, key: string): unknown =>
  typeof body === 'object' && body !== null ? (Reflect.get(body, key) as unknown) : undefined;

/** createApi is used to log in as the admin and return the runner's API client. */
export async function createApi(
  baseUrl: string,
  username: string,
  password: string,
): Promise<ChaosApi> {
  const call = async (method: string, path: string, body?: unknown, token?: string) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, json };
  };
  let token = '';
  const login = async (): Promise<void> => {
    const res = await call('POST', '/api/auth/login', { username, password });
    const t = field(res.json, 'token');
    if (res.status !== 200 || typeof t !== 'string') throw new Error(`chaos: login ${res.status}`);
    token = t;
  };
  await login();
  const authed = (method: string, path: string, body?: unknown) => call(method, path, body, token);
  return {
    async createClaim(name, gpuCount, image) {
      try {
        const res = await authed('POST', '/api/gpu-claims', {
          name,
          spec: {
            image,
            resources: { gpuCount },
            command: ['sleep', '1000000'],
            restartPolicy: 'Always',
          },
        });
        const id = field(res.json, 'id');
        return res.status === 201 && typeof id === 'string'
          ? { acked: true, id }
          : { acked: false, status: res.status };
      } catch {
        return { acked: false, status: 0 };
      }
    },
    async deleteClaim(id) {
      try {
        const res = await authed('DELETE', `/api/gpu-claims/${encodeURIComponent(id)}`);
        return res.status < 300 || res.status === 404;
      } catch {
        return false;
      }
    },
    async createJoinToken() {
      const res = await authed('POST', '/api/join-tokens', {
        description: 'chaos run',
        maxUses: 1000,
      });
      const t = field(res.json, 'token');
      if (res.status !== 201 || typeof t !== 'string')
        throw new Error(`chaos: join token ${res.status}`);
      return t;
    },
    async onlineNodes() {
      const res = await authed('GET', '/api/nodes');
      const items = field(res.json, 'items');
      if (res.status !== 200 || !Array.isArray(items)) return 0;
      return items.filter((n: unknown) => field(n, 'status') === 'Online').length;
    },
  };
}
