// SQLite on a disk that fills up: the server answers 503 (not 500), stays up, keeps every write it
// acknowledged, and takes writes again once space is freed. The disk is a real size-limited tmpfs
// (a file-size rlimit would fail the server's own writes differently, with SIGXFSZ/EFBIG).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, rmdirSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { captureLog } from '../testing/log-capture.js';

const SIZE = '6m';
const SPEC = { image: 'busybox:latest', resources: { gpuCount: 1 }, nodeSelector: { never: 'x' } };
// Big rows, so the WAL has to grow soon after the disk is full (it reuses its pages until then).
const FILL = Object.fromEntries([0, 1, 2, 3].map((i) => [`FILL_${i}`, 'x'.repeat(8192)]));

function tryMount(dir: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE},mode=0700`, 'tmpfs', dir], {
      stdio: 'pipe',
    });
    return undefined;
  } catch (e) {
    return `cannot mount a tmpfs here (needs root): ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`;
  }
}

/** fillDisk is used to write a file until the disk says ENOSPC. */
function fillDisk(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (e) {
    if (!(e instanceof Error && 'code' in e && e.code === 'ENOSPC')) throw e;
  } finally {
    closeSync(fd);
  }
}

const mountDir = mkdtempSync(join(tmpdir(), 'utopia-fulldisk-'));
const cannotMount = tryMount(mountDir);
// Skipped: nothing is mounted, and the empty dir goes now (no after hook runs then).
if (cannotMount !== undefined) rmdirSync(mountDir);

describe('SQLite on a disk that fills up', { skip: cannotMount ?? false }, () => {
  let t: TestServer;
  let admin: string;
  const acknowledged: string[] = [];
  const dbPath = join(mountDir, 'data', 'utopia.db');
  const filler = join(mountDir, 'filler');
  const log = captureLog('error');

  before(async () => {
    t = await startTestServer(
      'sqlite',
      {
        UTOPIA_DATA_DIR: join(mountDir, 'data'),
        UTOPIA_DATABASE_URL: `sqlite://${dbPath}`,
      },
      undefined,
      log.logger,
    );
    admin = await t.adminToken();
  });
  after(async () => {
    await t?.close();
    execFileSync('umount', [mountDir]);
    rmdirSync(mountDir);
  });

  const create = (i: number) =>
    t.api('POST', '/api/gpu-claims', {
      token: admin,
      body: { spec: { ...SPEC, env: { ...FILL, N: String(i) } } },
    });

  test('full: writes get 503, reads work, nothing half-written; freed: writes again', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await create(i);
      assert.equal(res.status, 201, JSON.stringify(res.json));
      acknowledged.push(String(res.json.id));
    }
    fillDisk(filler);

    const statuses: number[] = [];
    for (let i = 3; i < 200 && !statuses.includes(503); i++) {
      const res = await create(i);
      statuses.push(res.status);
      if (res.status === 201) acknowledged.push(String(res.json.id));
      else {
        assert.equal(res.status, 503, `${JSON.stringify(res.json)}\n${log.text()}`);
        assert.equal(res.json.code, 'UNAVAILABLE');
        assert.match(res.headers.get('retry-after') ?? '', /^[1-9][0-9]*$/);
      }
    }
    assert.ok(statuses.includes(503), `no 503 while full: ${statuses.join(',')}`);
    // Still full: the server is up and reads what it has.
    const list = await t.api('GET', '/api/gpu-claims', { token: admin });
    assert.equal(list.status, 200);
    assert.equal((await t.api('GET', '/healthz')).status, 200);

    rmSync(filler);
    const again = await create(1000);
    assert.equal(again.status, 201, JSON.stringify(again.json));
    acknowledged.push(String(again.json.id));
    assert.equal((await t.api('GET', '/readyz')).status, 200);

    // Every acknowledged claim is there, and the file is sound.
    for (const id of acknowledged)
      assert.equal((await t.api('GET', `/api/gpu-claims/${id}`, { token: admin })).status, 200);
    const check = new SqliteDatabase(dbPath, { readonly: true });
    try {
      assert.equal(check.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      check.close();
    }
  });
});
