import type { Readable } from 'node:stream';
import type {
  AgentContainerInfo,
  AgentCreateContainerRequest,
  AgentLogsQuery,
  AgentMetricsResponse,
} from '@utopia/shared';
import { AgentAnswers, type AnswerCheck } from './agent-answers.js';
import { createAgentHttp, type AgentMethod } from './agent-http.js';
import { openAgentStream, readSmallBody } from './agent-stream.js';
import { openAgentWebSocket } from './agent-websocket.js';
import type { WebSocket } from 'ws';

/** AgentTarget is used to say which agent to call and with which per-node token. */
export interface AgentTarget {
  nodeId: string;
  baseUrl: string;
  token: string;
}

/**
 * AgentCallReason is used for the reasons the client itself gives; otherwise `reason` is the
 * agent's own (AgentErrorReason) or HTTP_<status>.
 */
export const AgentCallReason = {
  /** No answer: connection refused, reset or timed out. */
  Unreachable: 'UNREACHABLE',
  /** A success status whose body is not JSON or does not match the agent API's schema. */
  BadAgentResponse: 'BAD_AGENT_RESPONSE',
} as const;

/**
 * AgentCallError is used for every failed agent call. `permanent` is true when retrying cannot
 * help (the agent refused the request itself, e.g. a missing image); network errors, timeouts,
 * 5xx and answers that do not match the agent API are transient.
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
  /**
   * deleteContainer succeeds when the container is gone, including when it never existed. With
   * keepLogs (a restart) the agent keeps the container's log tail as the claim's previous run.
   */
  deleteContainer(t: AgentTarget, id: string, opts?: { keepLogs?: boolean }): Promise<void>;
  /**
   * streamLogs is used to read a container's log as a stream (text, stdout and stderr merged);
   * `signal` ends it. An agent that answers 404 fails with status 404.
   */
  streamLogs(
    t: AgentTarget,
    id: string,
    query: AgentLogsQuery,
    signal: AbortSignal,
  ): Promise<Readable>;
  /** removeAllContainers is used when a node is deleted: every claim container there goes. */
  removeAllContainers(t: AgentTarget): Promise<string[]>;
  metrics(t: AgentTarget): Promise<AgentMetricsResponse>;
  /**
   * openWebSocket is used for the streaming routes (exec, port-forward): it resolves with the open
   * WebSocket to `path` (with its query) on the agent, or rejects with an AgentCallError carrying
   * the agent's own status and reason when the agent refuses the upgrade. The socket comes paused,
   * so nothing is emitted before the caller listens: resume() it (pipeWebSockets does).
   */
  openWebSocket(t: AgentTarget, path: string): Promise<WebSocket>;
  /** deleteVolume succeeds when the Docker volume is gone; VOLUME_IN_USE while mounted. */
  deleteVolume(t: AgentTarget, name: string): Promise<void>;
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
  const http = createAgentHttp(opts);
  async function call(
    t: AgentTarget,
    method: AgentMethod,
    path: string,
    body?: unknown,
  ): Promise<AgentAnswer> {
    let status: number;
    let text: string;
    try {
      // Inside the try: a connection cut or timed out halfway through the body is unreachable too.
      ({ status, text } = await http.send(t, method, path, body));
    } catch (e) {
      const why =
        e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
      throw unreachable(t, why);
    }
    if (text === '') return { status, json: null, isJson: true };
    try {
      return { status, json: JSON.parse(text), isJson: true };
    } catch {
      return { status, json: text, isJson: false };
    }
  }

  // A success answer is used only once it matches the schema; anything else may be a half-written
  // body, a proxy's error page or an agent of another version, so another try may well succeed.
  function read<T>(t: AgentTarget, what: string, answer: AgentAnswer, check: AnswerCheck<T>): T {
    const checked = answer.isJson
      ? check(answer.json)
      : { ok: false as const, problem: 'not JSON' };
    if (checked.ok) return checked.value;
    throw new AgentCallError(
      `${what} on node ${t.nodeId}: the agent's answer does not match its API (${checked.problem})`,
      { permanent: false, status: answer.status, reason: AgentCallReason.BadAgentResponse },
    );
  }

  function fail(t: AgentTarget, what: string, status: number, json: unknown): never {
    throw refusal(t, what, status, json);
  }

  // A DELETE is done when the thing is gone, including when it never existed (404).
  async function removeAt(t: AgentTarget, what: string, path: string): Promise<void> {
    const { status, json } = await call(t, 'DELETE', path);
    if (status !== 204 && status !== 200 && status !== 404) fail(t, what, status, json);
  }

  return {
    async createContainer(t, req) {
      const answer = await call(t, 'POST', '/api/v1/containers', req);
      if (answer.status !== 200 && answer.status !== 201)
        fail(t, 'create container', answer.status, answer.json);
      const created = read(t, 'create container', answer, AgentAnswers.createContainer);
      return { containerId: created.container_id, created: answer.status === 201 };
    },
    async listContainers(t) {
      const answer = await call(t, 'GET', '/api/v1/containers');
      if (answer.status !== 200) fail(t, 'list containers', answer.status, answer.json);
      return read(t, 'list containers', answer, AgentAnswers.containerList);
    },
    async getContainer(t, id) {
      const answer = await call(t, 'GET', `/api/v1/containers/${encodeURIComponent(id)}`);
      if (answer.status === 404) return undefined;
      if (answer.status !== 200) fail(t, 'get container', answer.status, answer.json);
      return read(t, 'get container', answer, AgentAnswers.container);
    },
    deleteContainer: (t, id, deleteOpts = {}) =>
      removeAt(
        t,
        'delete container',
        `/api/v1/containers/${encodeURIComponent(id)}${deleteOpts.keepLogs === true ? '?keep_logs=true' : ''}`,
      ),
    async removeAllContainers(t) {
      const answer = await call(t, 'DELETE', '/api/v1/containers');
      if (answer.status !== 200) fail(t, 'remove all containers', answer.status, answer.json);
      return read(t, 'remove all containers', answer, AgentAnswers.removeAll).container_ids;
    },
    async streamLogs(t, id, query, signal) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
      const path = `/api/v1/containers/${encodeURIComponent(id)}/logs?${params.toString()}`;
      let answer;
      try {
        answer = await openAgentStream(t, path, { signal, headTimeoutMs: opts.timeoutMs });
      } catch (e) {
        throw unreachable(t, e instanceof Error ? e.message : String(e));
      }
      if (answer.status === 200) return answer.body;
      const text = await readSmallBody(answer.body).catch(() => '');
      fail(t, 'container logs', answer.status, parseJson(text));
    },
    deleteVolume: (t, name) =>
      removeAt(t, 'delete volume', `/api/v1/volumes/${encodeURIComponent(name)}`),
    async metrics(t) {
      const answer = await call(t, 'GET', '/api/v1/metrics');
      if (answer.status !== 200) fail(t, 'metrics', answer.status, answer.json);
      return read(t, 'metrics', answer, AgentAnswers.metrics);
    },
    openWebSocket(t, path) {
      return openAgentWebSocket(t, path, opts.timeoutMs, {
        refused: (status, json) => refusal(t, `open ${path.split('?')[0] ?? ''}`, status, json),
        unreachable: (why) => unreachable(t, why),
      });
    },
  };
}

/** unreachable is used when no answer came: connection refused, reset or timed out. */
function unreachable(t: AgentTarget, why: string): AgentCallError {
  return new AgentCallError(`agent of node ${t.nodeId} unreachable: ${why}`, {
    permanent: false,
    reason: AgentCallReason.Unreachable,
  });
}

/**
 * refusal is used to turn an agent's error answer into an AgentCallError: its own reason when it
 * gave one, and whether another try could help.
 */
function refusal(t: AgentTarget, what: string, status: number, json: unknown): AgentCallError {
  const body = isRecord(json) ? json : {};
  const reason = typeof body.reason === 'string' ? body.reason : `HTTP_${status}`;
  const message = typeof body.error === 'string' ? body.error : `HTTP ${status}`;
  const refused = status >= 400 && status < 500 && ![401, 408, 429].includes(status);
  const permanent =
    refused &&
    reason !== 'GPU_UNAVAILABLE' &&
    (body.permanent === true || PERMANENT_REASONS.has(reason));
  return new AgentCallError(`${what} on node ${t.nodeId}: ${message}`, {
    permanent,
    status,
    reason,
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** AgentAnswer is used to hand on one HTTP answer; `json` is the raw text when `isJson` is false. */
interface AgentAnswer {
  status: number;
  json: unknown;
  isJson: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
