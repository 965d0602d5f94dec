import {
  ErrorCode,
  type TunnelOffer,
  type GpuInventory,
  type NodeRegisterRequest,
  type NodeRegisterResponse,
  type NodeSelfUpdateRequest,
} from '@utopia/shared';
import type { AgentLogger } from '../logger.js';
import { backoffDelay, sleep } from './backoff.js';
import { readIdentity, writeIdentity, type AgentIdentity } from './identity-store.js';

/** RegistrationOptions is used to describe this node to the server. */
export interface RegistrationOptions {
  serverUrl: string;
  joinToken: string | undefined;
  identityFile: string;
  hostname: string;
  machineId: string;
  agentVersion: string;
  address: string;
  gpus: GpuInventory[];
  retryBaseMs: number;
  retryCapMs?: number;
  /** Timeout of one HTTP call, in ms. */
  requestTimeoutMs?: number;
  logger: AgentLogger;
  signal?: AbortSignal;
}

/** RegistrationError is used for failures that retrying cannot fix; the agent stops with it. */
export class RegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RegistrationError';
  }
}

/** RegistrationResult is used to hand the agent its identity and how it got it. */
export interface RegistrationResult {
  identity: AgentIdentity;
  registered: boolean;
  /** How to open the frp tunnel; absent when the server runs none. */
  tunnel: TunnelOffer | undefined;
}

/**
 * UnknownNodeError is used when the server refuses this node's stored identity. `forgotten` is
 * true when the server that issued the identity said outright that it no longer knows the node
 * (the node was deleted, or the database reset): its containers must then stop.
 */
export class UnknownNodeError extends RegistrationError {
  readonly nodeId: string;
  readonly forgotten: boolean;
  constructor(message: string, nodeId: string, forgotten: boolean) {
    super(message);
    this.name = 'UnknownNodeError';
    this.nodeId = nodeId;
    this.forgotten = forgotten;
  }
}

type Attempt<T> =
  | { ok: true; value: T }
  | { ok: false; retry: boolean; message: string; error?: RegistrationError };

/**
 * ensureRegistered is used at each start: with no identity file it registers with the join token
 * and stores the identity; with one it reports itself through PUT /api/nodes/self. Network errors
 * and 5xx are retried with backoff; a rejected token or credential stops the agent.
 */
export async function ensureRegistered(opts: RegistrationOptions): Promise<RegistrationResult> {
  const existing = await readIdentity(opts.identityFile);
  if (existing) {
    if (opts.joinToken) {
      opts.logger.info(
        { nodeId: existing.nodeId },
        'identity file found; the join token is not used',
      );
    }
    const tunnel = await withRetry(opts, 'update', () => updateSelf(opts, existing));
    return { identity: existing, registered: false, tunnel };
  }
  if (!opts.joinToken) {
    throw new RegistrationError(
      `no identity file at ${opts.identityFile} and no join token: give --join-token (or UTOPIA_AGENT_JOIN_TOKEN) to register this node`,
    );
  }
  const created = await withRetry(opts, 'register', () => register(opts, opts.joinToken ?? ''));
  const tunnel = tunnelOf(created);
  const { nodeId, credential, agentToken } = created;
  const identity: AgentIdentity = { nodeId, credential, agentToken, serverUrl: opts.serverUrl };
  await writeIdentity(opts.identityFile, identity);
  opts.logger.info({ nodeId: identity.nodeId, identityFile: opts.identityFile }, 'registered');
  return { identity, registered: true, tunnel };
}

async function withRetry<T>(
  opts: RegistrationOptions,
  what: string,
  call: () => Promise<Attempt<T>>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const result = await call();
    if (result.ok) return result.value;
    if (!result.retry) throw result.error ?? new RegistrationError(result.message);
    const delay = backoffDelay(attempt, {
      baseMs: opts.retryBaseMs,
      capMs: opts.retryCapMs ?? 30_000,
    });
    opts.logger.warn(
      { attempt: attempt + 1, delayMs: delay },
      `${what} failed, retrying: ${result.message}`,
    );
    await sleep(delay, opts.signal);
  }
}

async function register(
  opts: RegistrationOptions,
  joinToken: string,
): Promise<Attempt<NodeRegisterResponse>> {
  const body: NodeRegisterRequest = {
    joinToken,
    hostname: opts.hostname,
    machineId: opts.machineId,
    agentVersion: opts.agentVersion,
    address: opts.address,
    gpus: opts.gpus,
  };
  const res = await send(opts, 'POST', '/api/nodes/register', body, undefined);
  if (!res.ok) return res;
  const { status, json } = res.value;
  if (status === 201 || status === 200) {
    if (isRegisterResponse(json)) return { ok: true, value: json };
    return {
      ok: false,
      retry: true,
      message: `server answered ${status} without nodeId/credential/agentToken`,
    };
  }
  if (status === 401 || status === 403) {
    return {
      ok: false,
      retry: false,
      message: `the server refused the join token (${describeError(json, status)}): it is wrong, expired, used up or revoked; ask an admin for a new one`,
    };
  }
  return classifyOther(status, json);
}

async function updateSelf(
  opts: RegistrationOptions,
  identity: AgentIdentity,
): Promise<Attempt<TunnelOffer | undefined>> {
  const body: NodeSelfUpdateRequest = {
    hostname: opts.hostname,
    agentVersion: opts.agentVersion,
    address: opts.address,
    gpus: opts.gpus,
  };
  const res = await send(opts, 'PUT', '/api/nodes/self', body, identity.credential);
  if (!res.ok) return res;
  const { status, json } = res.value;
  if (status === 200) return { ok: true, value: tunnelOf(json) };
  if (status === 401 || status === 403) {
    const sameServer = identity.serverUrl === opts.serverUrl;
    const message =
      `this node's identity (id ${identity.nodeId}) is not known to the server (${describeError(json, status)}): ` +
      `it was deleted or the server's database was reset; remove ${opts.identityFile} and give a new join token to register again` +
      (sameServer
        ? ''
        : ` (the identity was issued by ${identity.serverUrl}, not ${opts.serverUrl})`);
    // Only the issuing server's explicit answer counts: a wrong URL must not stop containers.
    const forgotten = sameServer && errorCode(json) === ErrorCode.NodeCredentialInvalid;
    return {
      ok: false,
      retry: false,
      message,
      error: new UnknownNodeError(message, identity.nodeId, forgotten),
    };
  }
  return classifyOther(status, json);
}

function classifyOther<T>(status: number, json: unknown): Attempt<T> {
  // 5xx, 408 and 429 are the server's passing trouble; other 4xx mean this request is wrong.
  const retry = status >= 500 || status === 408 || status === 429;
  return { ok: false, retry, message: `server answered ${status}: ${describeError(json, status)}` };
}

async function send(
  opts: RegistrationOptions,
  method: 'POST' | 'PUT',
  path: string,
  body: unknown,
  credential: string | undefined,
): Promise<Attempt<{ status: number; json: unknown }>> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (credential) headers.authorization = `Bearer ${credential}`;
  const signals = [AbortSignal.timeout(opts.requestTimeoutMs ?? 15_000)];
  if (opts.signal) signals.push(opts.signal);
  try {
    const res = await fetch(`${opts.serverUrl}${path}`, {
      method,
      headers,
      body: JSON.stringify(body),
      signal: AbortSignal.any(signals),
    });
    const text = await res.text();
    let json: unknown = undefined;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = text;
    }
    return { ok: true, value: { status: res.status, json } };
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    return { ok: false, retry: true, message: `cannot reach ${opts.serverUrl}: ${errorText(err)}` };
  }
}

function errorText(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
}

function errorCode(json: unknown): unknown {
  return typeof json === 'object' && json !== null && 'code' in json ? json.code : undefined;
}

function describeError(json: unknown, status: number): string {
  if (typeof json === 'object' && json !== null) {
    const j = json as Record<string, unknown>;
    const code = typeof j.code === 'string' ? j.code : String(status);
    return typeof j.message === 'string' ? `${code}: ${j.message}` : code;
  }
  return typeof json === 'string' && json !== '' ? json.slice(0, 200) : `HTTP ${status}`;
}

function tunnelOf(json: unknown): TunnelOffer | undefined {
  if (typeof json !== 'object' || json === null || !('tunnel' in json)) return undefined;
  const t = json.tunnel;
  if (typeof t !== 'object' || t === null) return undefined;
  const port = 'frpServerPort' in t ? t.frpServerPort : undefined;
  const token = 'frpToken' in t ? t.frpToken : undefined;
  return typeof port === 'number' && typeof token === 'string'
    ? { frpServerPort: port, frpToken: token }
    : undefined;
}

function isRegisterResponse(json: unknown): json is NodeRegisterResponse {
  if (typeof json !== 'object' || json === null) return false;
  const j = json as Record<string, unknown>;
  return ['nodeId', 'credential', 'agentToken'].every(
    (k) => typeof j[k] === 'string' && j[k] !== '',
  );
}
