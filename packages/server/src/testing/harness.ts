// Test harness: a real server on a free port, on SQLite or on a fresh MariaDB database.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { Logger } from 'pino';
import { loadConfig, type ServerConfig } from '../config/config.js';
import type { Clock } from '../db/time.js';
import { startServer, type RunningServer } from '../server.js';

/** TestDb is used to name the databases a suite runs against. */
export type TestDb = 'sqlite' | 'mysql';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

/**
 * testDatabases is used by every database suite to run once per dialect. MariaDB joins when
 * UTOPIA_TEST_MYSQL_URL is set (scripts/test-all.sh starts one); asking for it without a URL fails.
 */
export function testDatabases(): TestDb[] {
  const wanted =
    process.env.UTOPIA_TEST_DATABASES ??
    (process.env.UTOPIA_TEST_MYSQL_URL ? 'sqlite,mysql' : 'sqlite');
  const list = wanted.split(',').map((s) => s.trim());
  for (const d of list)
    if (d !== 'sqlite' && d !== 'mysql') throw new Error(`unknown test database ${d}`);
  if (list.includes('mysql') && !process.env.UTOPIA_TEST_MYSQL_URL) {
    throw new Error('UTOPIA_TEST_DATABASES includes mysql but UTOPIA_TEST_MYSQL_URL is not set');
  }
  return list.filter((d): d is TestDb => d === 'sqlite' || d === 'mysql');
}

/**
 * firstTestDatabase is used by suites whose subject does not depend on the database (a client of
 * the API, the memory of a stream): they run on the first of testDatabases() only, which keeps
 * the suite short; the API they use is tested on every database by its own suites.
 */
export function firstTestDatabase(): TestDb {
  const [first] = testDatabases();
  if (first === undefined) throw new Error('UTOPIA_TEST_DATABASES names no database');
  return first;
}

/** ApiResponse is used by tests to read an answer: status and parsed JSON (or text). */
export interface ApiResponse {
  status: number;
  body: unknown;
  json: Record<string, unknown>;
  headers: Headers;
}

/** TestServer is used by tests to drive a real server over HTTP. */
export interface TestServer {
  url: string;
  server: RunningServer;
  config: ServerConfig;
  api(
    method: string,
    path: string,
    opts?: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
  ): Promise<ApiResponse>;
  login(username: string, password: string): Promise<string>;
  /** restart is used to stop the server and start a new one on the same database. */
  restart(): Promise<void>;
  /** createUser is used to add a user as admin and log in as them. */
  createUser(
    username: string,
    opts?: { role?: 'admin' | 'user'; gpuQuota?: number | null },
  ): Promise<{ id: string; token: string }>;
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

/** apiClient is used to call a server's API over HTTP (its URL may change across restarts). */
export function apiClient(baseUrl: () => string): TestServer['api'] {
  return async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    // A timeout is a DOMException that node:test prints as `{}`: say which request it was.
    const res = await fetch(`${baseUrl()}${path}`, {
      method,
      headers,
      body,
      signal: AbortSignal.timeout(30_000),
    }).catch((e: unknown) => {
      throw new Error(`${method} ${path}: ${e instanceof Error ? e.message : String(e)}`);
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    const json =
      typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
    return { status: res.status, body: parsed, json, headers: res.headers };
  };
}

/** freshDatabaseUrl is used to give a test server a database of its own (dropped by drop()). */
export async function freshDatabaseUrl(
  kind: TestDb,
  dir: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  if (kind === 'sqlite') return { url: `sqlite://${join(dir, 'utopia.db')}`, drop: async () => {} };
  const base = process.env.UTOPIA_TEST_MYSQL_URL;
  if (!base)
    throw new Error('UTOPIA_TEST_MYSQL_URL is not set (scripts/services/mariadb.sh prints it)');
  const name = `utopia_t_${randomBytes(6).toString('hex')}`;
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const conn = await createConnection({ uri: base });
      await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await conn.end();
    },
  };
}

/** startTestServer is used to start a server with test settings plus any overrides. */
export async function startTestServer(
  kind: TestDb,
  overrides: Record<string, string> = {},
  clock?: Clock,
  logger: Logger | false = false,
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'utopia-test-'));
  const database = await freshDatabaseUrl(kind, dir).catch((e: unknown) => {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  });
  const config = loadConfig([], {
    UTOPIA_HOST: '127.0.0.1',
    UTOPIA_PORT: '0',
    UTOPIA_DATA_DIR: dir,
    UTOPIA_DATABASE_URL: database.url,
    UTOPIA_ADMIN_PASSWORD: ADMIN_PASSWORD,
    ...overrides,
  });
  const options = clock ? { logger, clock } : { logger };
  let server: RunningServer;
  try {
    server = await startServer(config, options);
  } catch (e) {
    // A server that refuses to start leaves no temp dir or database behind.
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  let cachedAdmin: string | undefined;
  const api = apiClient(() => server.url);
  const login = async (username: string, password: string): Promise<string> => {
    const res = await api('POST', '/api/auth/login', { body: { username, password } });
    if (res.status !== 200)
      throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return String(res.json.token);
  };
  const adminToken = async (): Promise<string> =>
    (cachedAdmin ??= await login('admin', ADMIN_PASSWORD));
  return {
    get url() {
      return server.url;
    },
    get server() {
      return server;
    },
    config,
    async restart() {
      await server.close();
      server = await startServer(config, options);
    },
    api,
    login,
    adminToken,
    async createUser(username, opts = {}) {
      const password = `${username}-password`;
      const res = await api('POST', '/api/users', {
        token: await adminToken(),
        body: { username, password, role: opts.role ?? 'user', gpuQuota: opts.gpuQuota ?? null },
      });
      if (res.status !== 201)
        throw new Error(`create user failed: ${res.status} ${JSON.stringify(res.body)}`);
      return { id: String(res.json.id), token: await login(username, password) };
    },
    async close() {
      // The temp dir goes whatever else fails (a dropped MySQL connection left empty ones).
      try {
        await server.close();
        await database.drop();
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
