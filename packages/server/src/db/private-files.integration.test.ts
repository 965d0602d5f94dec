// The data dir and SQLite's files hold the server's keys: 0700 / 0600 under a normal umask, and
// tightened (with a warning naming the path) when an older install left them looser.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../config/config.js';
import { startServer } from '../server.js';
import { captureLog } from '../testing/log-capture.js';
import { ensurePrivateDir } from './private-files.js';

function modeOf(path: string): string {
  return `0${(statSync(path).mode & 0o777).toString(8)}`;
}

const SIDE_FILES = ['-wal', '-shm'];

describe('secrets at rest', () => {
  let root: string;
  let savedUmask: number;
  before(() => {
    savedUmask = process.umask(0o022);
    root = mkdtempSync(join(tmpdir(), 'utopia-modes-'));
  });
  after(() => {
    process.umask(savedUmask);
    rmSync(root, { recursive: true, force: true });
  });

  async function start(dataDir: string) {
    const log = captureLog('warn');
    const config = loadConfig([], {
      UTOPIA_HOST: '127.0.0.1',
      UTOPIA_PORT: '0',
      UTOPIA_DATA_DIR: dataDir,
      UTOPIA_ADMIN_PASSWORD: 'admin-password-for-tests',
    });
    const server = await startServer(config, { logger: log.logger });
    return { server, log, db: join(dataDir, 'utopia.db') };
  }

  test('a fresh data dir is 0700 and utopia.db, -wal and -shm are 0600 under umask 022', async () => {
    const dataDir = join(root, 'fresh', 'data');
    const { server, log, db } = await start(dataDir);
    try {
      // 1. The server has written (migrations, keys, admin), so SQLite made its side files.
      assert.equal(modeOf(dataDir), '0700');
      assert.equal(modeOf(db), '0600');
      for (const s of SIDE_FILES) assert.equal(modeOf(`${db}${s}`), '0600', `${db}${s}`);
      assert.deepEqual(log.find('readable by other users'), []);
    } finally {
      await server.close();
    }
    // 2. A clean close removes -wal and -shm; SQLite re-creates them on the next start, 0600 again.
    const again = await start(dataDir);
    try {
      for (const s of SIDE_FILES) assert.equal(modeOf(`${db}${s}`), '0600', `${db}${s}`);
    } finally {
      await again.server.close();
    }
  });

  test('loose files of an older install are tightened at start, with a warning per path', async () => {
    const dataDir = join(root, 'old', 'data');
    const first = await start(dataDir);
    await first.server.close();
    // 1. What an install made under umask 022 before this fix looked like.
    chmodSync(dataDir, 0o755);
    chmodSync(first.db, 0o644);
    for (const s of SIDE_FILES) writeFileSync(`${first.db}${s}`, '', { mode: 0o644 });
    // 2. The next start tightens every one and says which.
    const { server, log, db } = await start(dataDir);
    try {
      assert.equal(modeOf(dataDir), '0700');
      for (const path of [db, ...SIDE_FILES.map((s) => `${db}${s}`)]) {
        assert.equal(modeOf(path), '0600', path);
        const warned = log.find('readable by other users').filter((l) => l.path === path);
        assert.equal(warned.length, 1, `one warning for ${path}`);
        assert.equal(warned[0]?.level, 40);
      }
      assert.equal(log.find('open to other users').filter((l) => l.path === dataDir).length, 1);
      // 3. The database still works after the change.
      const res = await fetch(`${server.url}/readyz`);
      assert.equal(res.status, 200);
    } finally {
      await server.close();
    }
  });

  test('a shared sticky directory (like /tmp) is left alone, with a warning', () => {
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const warnings: string[] = [];
    ensurePrivateDir(shared, (message) => warnings.push(message));
    assert.equal(statSync(shared).mode & 0o1777, 0o1777);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /shared directory/);
  });
});
