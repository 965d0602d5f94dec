// Kysely's SQLite driver prepares every query anew; at a burst of claims that was as much CPU as
// running them (a profile of the fleet benchmark: prepare 2.5 s beside execute 3.0 s). The same
// SQL text gets the same prepared statement back here. better-sqlite3 statements are reusable and
// every call on one is synchronous, so two queries never share a statement mid-run (Kysely's
// streaming `iterate` would, and nothing here streams).
import type { SqliteDatabase, SqliteStatement } from 'kysely';

/** withStatementCache is used to wrap the SQLite database given to Kysely; at most `max` kept. */
export function withStatementCache(db: SqliteDatabase, max = 500): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => db.close(),
    prepare(sql) {
      const hit = cache.get(sql);
      if (hit) {
        // Most recently used last: the first key is the one to evict.
        cache.delete(sql);
        cache.set(sql, hit);
        return hit;
      }
      const stmt = db.prepare(sql);
      cache.set(sql, stmt);
      if (cache.size > max) {
        const oldest = cache.keys().next().value;
        if (oldest !== undefined) cache.delete(oldest);
      }
      return stmt;
    },
  };
}
