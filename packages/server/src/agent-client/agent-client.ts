import type {
  AgentContainerInfo,
  AgentCreateContainerRequest,
  AgentMetricsResponse,
} from '@utopia/shared';

/** AgentTarget is used to say which agent to call and with which per-node token. */
export interface AgentTarget {
  nodeId: string;
  baseUrl: string;
  token: string;
}

/**
 * AgentCallError is used for every failed agent call. `permanent` is true when retrying cannot
 * help (the agent refused the request itself, e.g. a missing image); network errors, timeouts
 * and 5xx are transient.
 */
export class AgentCallError extends Error {
  readonly permanent: boolean;
  readonly status: number | undefined;
  readonly reason: string;

  constructor(message: string, opts: { permanent: boolean; status?: number; reason: string }) {
    super(message);
    this.name = 'AgentCallError';
    this.permanent = opts.permanent;
    this.status = opts.status;
    this.reason = opts.reason;
  }
}

/** AgentClient is the one HTTP client to node agents, used by the controller and health checker. */
export interface AgentClient {
  createContainer(
    t: AgentTarget,
    req: AgentCreateContainerRequest,
  ): Promise<{ containerId: string; created: boolean }>;
  listContainers(t: AgentTarget): Promise<AgentContainerInfo[]>;
  /** getContainer answers undefined when the agent has no such container. */
  getContainer(t: AgentTarget, id: string): Promise<AgentContainerInfo | undefined>;
  /** deleteContainer succeeds when the container is gone, including when it never existed. */
  deleteContainer(t: AgentTarget, id: string): Promise<void>;
  metrics(t: AgentTarget): Promise<AgentMetricsResponse>;
}

// The agent refuses these for reasons another try cannot fix. GPU_UNAVAILABLE is not among them:
// a GPU still held by a container being removed frees up shortly.
const PERMANENT_REASONS = new Set([
  'IMAGE_NOT_FOUND',
  'VALIDATION_FAILED',
  'CONTAINER_CREATE_FAILED',
]);

/** createAgentClient is used once per server; every call has a timeout. */
export function createAgentClient(opts: { timeoutMs: number }): AgentClient {
  async function call(
    t: AgentTarget,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: unknown }> {
    let res: Response;
    try {
      res = await fetch(`${t.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${t.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
    } catch (e) {
      const why =
        e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
      throw new AgentCallError(`agent of node ${t.nodeId} unreachable: ${why}`, {
        permanent: false,
        reason: 'UNREACHABLE',
      });
    }
    const text = await res.text();
    let json: unknown = null;
    try {
      json = text === '' ? null : JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }

  function fail(t: AgentTarget, what: string, status: number, json: unknown): never {
    const body = typeof json === 'object' && json !== null ? (json as Record<string, unknown>) : {};
    const reason = typeof body.reason === 'string' ? body.reason : `HTTP_${status}`;
    const message = typeof body.error === 'string' ? body.error : `HTTP ${status}`;
    const refused = status >= 400 && status < 500 && ![401, 408, 429].includes(status);
    const permanent =
      refused &&
      reason !== 'GPU_UNAVAILABLE' &&
      (body.permanent === true || PERMANENT_REASONS.has(reason));
    throw new AgentCallError(`${what} on node ${t.nodeId}: ${message}`, {
      permanent,
      status,
      reason,
    });
  }

  return {
    async createContainer(t, req) {
      const { status, json } = await call(t, 'POST', '/api/v1/containers', req);
      if (status !== 200 && status !== 201) fail(t, 'create container', status, json);
      const id = (json as { container_id?: unknown }).container_id;
      if (typeof id !== 'string')
        fail(t, 'create container', 502, { error: 'answer without container_id' });
      return { containerId: id, created: status === 201 };
    },
    async listContainers(t) {
      const { status, json } = await call(t, 'GET', '/api/v1/containers');
      if (status !== 200 || !Array.isArray(json)) fail(t, 'list containers', status, json);
      return json as AgentContainerInfo[];
    },
    async getContainer(t, id) {
      const { status, json } = await call(t, 'GET', `/api/v1/containers/${encodeURIComponent(id)}`);
      if (status === 404) return undefined;
      if (status !== 200) fail(t, 'get container', status, json);
      return json as AgentContainerInfo;
    },
    async deleteContainer(t, id) {
      const { status, json } = await call(
        t,
        'DELETE',
        `/api/v1/containers/${encodeURIComponent(id)}`,
      );
      if (status !== 204 && status !== 200 && status !== 404)
        fail(t, 'delete container', status, json);
    },
    async metrics(t) {
      const { status, json } = await call(t, 'GET', '/api/v1/metrics');
      if (status !== 200) fail(t, 'metrics', status, json);
      return json as AgentMetricsResponse;
    },
  };
}
