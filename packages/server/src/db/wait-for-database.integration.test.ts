// A server started before its MariaDB waits for it (retrying, logging each try) and comes up once
// it is there; one given bad credentials stops at once with a message that says why.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { captureLog } from '../testing/log-capture.js';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';
import { isTransientConnectError } from './wait-for-database.js';

const MARIADB_SH = join(import.meta.dirname, '../../../../scripts/services/mariadb.sh');

function mariadb(command: 'start' | 'stop', dir: string): string {
  return execFileSync('bash', [MARIADB_SH, command, dir], { encoding: 'utf8' });
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not true within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('transient: refused, reset, timed out, lost, also as a cause; permanent: the rest', () => {
  for (const code of ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST'])
    assert.equal(isTransientConnectError(Object.assign(new Error(code), { code })), true, code);
  const lost = Object.assign(new Error('lost'), { code: 'PROTOCOL_CONNECTION_LOST' });
  assert.equal(isTransientConnectError(new Error('migration failed', { cause: lost })), true);
  for (const code of ['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'SQLITE_CANTOPEN'])
    assert.equal(isTransientConnectError(Object.assign(new Error(code), { code })), false, code);
  assert.equal(isTransientConnectError('ECONNREFUSED'), false);
  assert.equal(isTransientConnectError(null), false);
});

describe(
  'a server started before its MariaDB',
  {
    skip: !testDatabases().includes('mysql') && 'needs MariaDB (UTOPIA_TEST_DATABASES=…,mysql)',
  },
  () => {
    // Its own MariaDB, started once to create its data and user, then stopped.
    const dir = mkdtempSync(join(tmpdir(), 'utopia-dbwait-'));
    let url: string;
    const servers: TestServer[] = [];
    before(() => {
      url = mariadb('start', dir)
        .trim()
        .replace(/^UTOPIA_TEST_MYSQL_URL=/, '');
      mariadb('stop', dir);
    });
    after(async () => {
      try {
        for (const s of servers) await s.close();
      } finally {
        // Even when closing failed: no MariaDB or temp dir is left behind.
        mariadb('stop', dir);
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test(
      'waits with backoff, logging each retry, and starts once MariaDB is up',
      { timeout: 120_000 },
      async () => {
        const log = captureLog('warn');
        let settled = false;
        const starting = startTestServer(
          'mysql',
          { UTOPIA_DATABASE_URL: `${url}utopia_wait` },
          undefined,
          log.logger,
        ).finally(() => (settled = true));
        await eventually(() => log.find('database not reachable').length >= 3, 10_000);
        assert.equal(settled, false, 'the server must still be waiting');
        const retries = log.find('database not reachable');
        assert.deepEqual(
          retries.slice(0, 3).map((r) => [r.attempt, r.retryInMs, r.code]),
          [
            [1, 250, 'ECONNREFUSED'],
            [2, 500, 'ECONNREFUSED'],
            [3, 1000, 'ECONNREFUSED'],
          ],
        );
        assert.doesNotMatch(log.text(), /utopia-test/, 'no password in the log');

        mariadb('start', dir);
        const t = await starting;
        servers.push(t);
        assert.equal((await t.api('GET', '/readyz')).status, 200);
        assert.equal(
          (await t.api('GET', '/api/gpu-claims', { token: await t.adminToken() })).status,
          200,
        );
      },
    );

    test('bad credentials end the start at once, not retried', { timeout: 30_000 }, async () => {
      const log = captureLog('warn');
      const bad = new URL(`${url}utopia_wait_bad`);
      bad.password = 'wrong-password';
      const began = Date.now();
      await assert.rejects(
        startTestServer('mysql', { UTOPIA_DATABASE_URL: bad.toString() }, undefined, log.logger),
        /cannot use the database \(not retried: ER_ACCESS_DENIED_ERROR\): Access denied/,
      );
      assert.ok(Date.now() - began < 5000, `took ${Date.now() - began} ms`);
      assert.equal(log.find('database not reachable').length, 0);
    });
  },
);
