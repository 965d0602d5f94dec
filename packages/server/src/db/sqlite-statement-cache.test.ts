import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { withStatementCache } from './sqlite-statement-cache.js';

describe('SQLite statement cache', () => {
  it('prepares each SQL text once, empties itself when full, and answers as before', () => {
    const raw = new SqliteDatabase(':memory:');
    const prepared: string[] = [];
    const db = withStatementCache(
      {
        close: () => raw.close(),
        prepare(sql) {
          prepared.push(sql);
          return raw.prepare(sql);
        },
      },
      2,
    );
    db.prepare('create table t (x integer)').run([]);
    db.prepare('insert into t values (?)').run([1]);
    db.prepare('insert into t values (?)').run([2]);
    assert.deepEqual(db.prepare('select x from t order by x').all([]), [{ x: 1 }, { x: 2 }]);
    assert.deepEqual(prepared, [
      'create table t (x integer)',
      'insert into t values (?)',
      'select x from t order by x',
    ]);
    // 1. Two kept: the select found the cache full and emptied it, so it alone was kept; the
    //    next new text joins it and the select is still a hit.
    db.prepare('create table u (y integer)').run([]);
    db.prepare('select x from t order by x').all([]);
    assert.equal(prepared.length, 4);
    // 2. Full again: a third text empties it, so even the select is prepared anew after it.
    db.prepare('insert into u values (?)').run([3]);
    assert.deepEqual(db.prepare('select x from t order by x').all([]), [{ x: 1 }, { x: 2 }]);
    assert.deepEqual(prepared.slice(4), ['insert into u values (?)', 'select x from t order by x']);
    db.close();
  });
});
