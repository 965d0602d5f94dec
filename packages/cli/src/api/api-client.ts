// The CLI's one HTTP client to the server. Every answer is checked against its wire schema
// before use; every failure becomes a CliError carrying the API's code.
import type { Static, TSchema } from '@sinclair/typebox';
import { ErrorBody, wireCheck } from '@utopia/shared';
import { CliError } from '../errors.js';
import type { Connection } from './connection.js';

const isErrorBody = wireCheck(ErrorBody);

/** QueryValue is used for query parameters; arrays repeat the key (command=a&command=b). */
export type QueryValue = string | number | boolean | readonly string[] | undefined;

/** RequestOptions is used for one call. */
export interface RequestOptions {
  body?: unknown;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

/** ApiClient is used by every command that talks to the server. */
export class ApiClient {
  readonly connection: Connection;

  constructor(connection: Connection) {
    this.connection = connection;
  }

  /** url is used to build an absolute URL of the API (also for WebSockets). */
  url(path: string, query: Record<string, QueryValue> = {}): URL {
    const url = new URL(path, `${this.connection.server}/`);
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const item of v) url.searchParams.append(k, String(item));
      else url.searchParams.set(k, String(v));
    }
    return url;
  }

  /** authHeaders is used for calls made outside `call`, e.g. WebSockets. */
  authHeaders(): Record<string, string> {
    const t = this.connection.token;
    return t === undefined ? {} : { authorization: `Bearer ${t}` };
  }

  /** call is used for JSON calls: the answer is checked against `schema`. */
  async call<S extends TSchema>(
    method: string,
    path: string,
    schema: S,
    opts: RequestOptions = {},
  ): Promise<Static<S>> {
    const res = await this.send(method, path, opts);
    const text = await res.text();
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      throw badResponse(method, path, 'not JSON');
    }
    if (!wireCheck(schema)(data)) throw badResponse(method, path, 'does not match the API');
    return data;
  }

  /** act is used for calls whose answer says nothing beyond success (202, 204). */
  async act(method: string, path: string, opts: RequestOptions = {}): Promise<void> {
    const res = await this.send(method, path, opts);
    await res.body?.cancel();
  }

  /** send is used for any call; it answers a 2xx response and throws for everything else. */
  async send(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...this.authHeaders(), ...opts.headers };
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    let res: Response;
    try {
      res = await fetch(this.url(path, opts.query), {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      throw new CliError(`cannot reach ${this.connection.server}: ${causeOf(err)}`, {
        code: 'UNREACHABLE',
      });
    }
    if (res.ok) return res;
    throw await apiError(res);
  }
}

async function apiError(res: Response): Promise<CliError> {
  const text = await res.text().catch(() => '');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    data = undefined;
  }
  if (isErrorBody(data)) {
    const fields = (data.details ?? [])
      .filter((d) => d.field !== '')
      .map((d) => `${d.field}: ${d.message}`);
    const detail =
      fields.length > 0 && !data.message.includes(fields[0] ?? '') ? ` (${fields.join('; ')})` : '';
    return new CliError(`${data.message}${detail}`, { code: data.code, status: res.status });
  }
  return new CliError(`the server answered ${res.status} ${res.statusText}`, {
    code: `HTTP_${res.status}`,
    status: res.status,
  });
}

function badResponse(method: string, path: string, why: string): CliError {
  return new CliError(
    `the server's answer to ${method} ${path} is ${why} (is it a Utopia server of this version?)`,
    {
      code: 'BAD_RESPONSE',
    },
  );
}

function causeOf(err: unknown): string {
  if (err instanceof Error) {
    const cause: unknown = err.cause;
    if (cause instanceof Error) return cause.message;
    return err.message;
  }
  return String(err);
}
