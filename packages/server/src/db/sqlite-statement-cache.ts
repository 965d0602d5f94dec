// Kysely's SQLite driver prepares every query anew; at a burst of claims that was as much CPU as
// running them (a profile of the fleet benchmark: prepare 2.5 s beside execute 3.0 s). The same
// SQL text gets the same prepared statement back here. better-sqlite3 statements are reusable and
// every call on one is synchronous, so two queries never share a statement mid-run (Kysely's
// streaming `iterate` would, and nothing here streams).
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/**
 * withStatementCache is used to wrap the SQLite database given to Kysely; at most `max` kept. The
 * SQL texts of a running server are a few dozen, so a full cache is simply emptied: cheaper on
 * every hit than keeping a recency order, and a server never gets there.
 */
export function withStatementCache(db: SqliteDatabase, max = 500): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql) {
      const hit = cache.get(sql);
      if (hit) return hit;
      if (cache.size >= max) cache.clear();
      const stmt = db.prepare(sql);
      cache.set(sql, stmt);
      return stmt;
    },
  };
}
