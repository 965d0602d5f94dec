// A database that cannot serve is the server's problem, not the client's, and it passes: requests
// get 503 UNAVAILABLE with Retry-After (never 500), and the server recovers by itself.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

const MARIADB_SH = join(import.meta.dirname, '../../../../scripts/services/mariadb.sh');

function mariadb(command: 'start' | 'stop', dir: string): string {
  return execFileSync('bash', [MARIADB_SH, command, dir], { encoding: 'utf8' });
}

function assertUnavailable(res: {
  status: number;
  json: Record<string, unknown>;
  headers: Headers;
}) {
  assert.equal(res.status, 503, JSON.stringify(res.json));
  assert.equal(res.json.code, 'UNAVAILABLE');
  assert.match(res.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe(
  'MariaDB stops and starts again under a running server',
  {
    skip: !testDatabases().includes('mysql') && 'needs MariaDB (UTOPIA_TEST_DATABASES=…,mysql)',
  },
  () => {
    // Its own MariaDB, since this test stops it.
    const dir = mkdtempSync(join(tmpdir(), 'utopia-outage-'));
    let t: TestServer;
    let admin: string;
    before(async () => {
      const url = mariadb('start', dir)
        .trim()
        .replace(/^UTOPIA_TEST_MYSQL_URL=/, '');
      t = await startTestServer('mysql', { UTOPIA_DATABASE_URL: `${url}utopia_outage` });
      admin = await t.adminToken();
    });
    after(async () => {
      await t?.close();
      mariadb('stop', dir);
      rmSync(dir, { recursive: true, force: true });
    });

    test('1. while it is down: 503 with Retry-After; 2. once it is back: 200 again', async () => {
      assert.equal((await t.api('GET', '/api/gpu-claims', { token: admin })).status, 200);
      mariadb('stop', dir);

      assertUnavailable(await t.api('GET', '/api/gpu-claims', { token: admin }));
      assertUnavailable(
        await t.api('POST', '/api/auth/login', { body: { username: 'admin', password: 'x' } }),
      );
      assertUnavailable(await t.api('GET', '/readyz'));
      assert.equal((await t.api('GET', '/healthz')).status, 200);

      mariadb('start', dir);
      await eventually(
        async () => (await t.api('GET', '/api/gpu-claims', { token: admin })).status === 200,
        30_000,
      );
      assert.equal((await t.api('GET', '/readyz')).status, 200);
    });
  },
);

describe('SQLite locked by another writer', () => {
  let t: TestServer;
  let admin: string;
  before(async () => {
    t = await startTestServer('sqlite');
    admin = await t.adminToken();
  });
  after(() => t.close());

  test('a write that waits out busy_timeout gets 503 with Retry-After, then works', async () => {
    const other = new SqliteDatabase(t.config.databaseUrl.slice('sqlite://'.length));
    try {
      other.exec('BEGIN EXCLUSIVE');
      const body = { username: 'locked-out', password: 'password-123' };
      assertUnavailable(await t.api('POST', '/api/users', { token: admin, body }));
      other.exec('ROLLBACK');
      assert.equal((await t.api('POST', '/api/users', { token: admin, body })).status, 201);
    } finally {
      other.close();
    }
  });
});
