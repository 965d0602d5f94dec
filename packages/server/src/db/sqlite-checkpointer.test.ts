import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { startWalCheckpointer } from './sqlite-checkpointer.js';

const MiB = 2 ** 20;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SQLite WAL checkpoint worker', () => {
  let dir: string;
  let path: string;
  let db: SqliteDatabase.Database;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'utopia-wal-'));
    path = join(dir, 'test.db');
    db = new SqliteDatabase(path);
    db.pragma('journal_mode = WAL');
    db.exec('create table blobs (b blob)');
  });
  afterEach(() => {
    if (db.open) db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const walSize = () => statSync(`${path}-wal`).size;
  const write = (mib: number) => {
    const insert = db.prepare('insert into blobs values (?)');
    db.transaction(() => {
      for (let i = 0; i < mib * 16; i++) insert.run(Buffer.alloc(64 * 1024, i));
    })();
  };

  it('keeps the WAL bounded while the connection checkpoints nothing itself', async () => {
    const checkpointer = startWalCheckpointer(db, path, { intervalMs: 20 });
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 0);
    for (let round = 0; round < 5; round++) {
      write(4);
      await pause(300);
    }
    // 20 MiB written; without checkpoints the WAL would hold all of it.
    assert.ok(walSize() < 10 * MiB, `WAL is ${walSize()} bytes`);
    await checkpointer.close();
    db.close();
    assert.equal(existsSync(`${path}-wal`), false, 'the last connection to close removes the WAL');
  });

  it('without it the same writes leave the whole WAL (what the test above would catch)', async () => {
    db.pragma('wal_autocheckpoint = 0');
    for (let round = 0; round < 5; round++) {
      write(4);
      await pause(20);
    }
    assert.ok(walSize() >= 20 * MiB, `WAL is ${walSize()} bytes`);
  });

  it('a worker that fails hands checkpoints back to the connection and says so', async () => {
    const errors: Error[] = [];
    const checkpointer = startWalCheckpointer(db, join(dir, 'missing.db'), {
      intervalMs: 20,
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 200 && errors.length === 0; i++) await pause(10);
    assert.equal(errors.length, 1);
    assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
    await checkpointer.close();
  });
});
