// The one way the UI calls the REST API: bearer token attached, answers checked against their
// wire schema (never cast), errors turned into ApiError with the server's own code, message and
// per-field details. A 401 ends the session, which sends the user to sign in and back.
import { ErrorBody, wireCheck } from '@utopia/shared';
import { getSession, setSession } from './session.js';

const isErrorBody = wireCheck(ErrorBody);

/** ApiError is used for every failed call: an HTTP error answer, or no answer at all. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: { field: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** fieldMessage is used to show the server's message beside the field it names. */
  fieldMessage(field: string): string | undefined {
    return this.details.find((d) => d.field === field || d.field.startsWith(`${field}.`))?.message;
  }
}

/** RequestOptions is used to describe one call. */
export interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  body?: unknown;
  signal?: AbortSignal;
}

/** authHeaders is used by every call, streams included. */
export function authHeaders(): Record<string, string> {
  const session = getSession();
  return session ? { authorization: `Bearer ${session.token}` } : {};
}

/**
 * fetchApi is used for every request, streams included: a request that gets no answer at all
 * (server stopped, network gone) becomes ApiError NETWORK; an aborted one stays an AbortError.
 */
export async function fetchApi(path: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(path, init);
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached.');
  }
}

/** send is used for calls whose answer has no body to check (204, 202). */
export async function send(path: string, options: RequestOptions = {}): Promise<Response> {
  const res = await fetchApi(path, {
    method: options.method ?? 'GET',
    headers: {
      ...authHeaders(),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal,
  });
  if (!res.ok) throw await errorOf(res);
  return res;
}

/** request is used for calls that answer JSON of a known wire type. */
export async function request<T>(
  path: string,
  isAnswer: (v: unknown) => v is T,
  options: RequestOptions = {},
): Promise<T> {
  const res = await send(path, options);
  const body: unknown = await res.json().catch(() => undefined);
  if (!isAnswer(body))
    throw new ApiError(res.status, 'BAD_ANSWER', `Unexpected answer from ${path}.`);
  return body;
}

/** errorOf is used to read an error answer in the server's error shape. */
export async function errorOf(res: Response): Promise<ApiError> {
  const body: unknown = await res.json().catch(() => undefined);
  if (res.status === 401 && getSession()) setSession(null);
  if (isErrorBody(body)) return new ApiError(res.status, body.code, body.message, body.details);
  return new ApiError(res.status, 'HTTP', `${res.status} ${res.statusText}`.trim());
}
