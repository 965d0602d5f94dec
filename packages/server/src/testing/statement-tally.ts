// Counts the SQL statements this process sends, by text, for the fleet benchmark: "how many
// statements per claim, and which". It patches the drivers' own entry points (better-sqlite3's
// statement run/get/all, mysql2's Connection.query/execute), below Kysely, so BEGIN and COMMIT
// count too and no server code changes. better-sqlite3 runs each statement synchronously, so the
// time spent in its call is that statement's cost; mysql2's calls only send, so their time is not
// kept. Off unless started; test code only.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

type Method = (this: unknown, ...args: unknown[]) => unknown;

/** StatementCount is one SQL text's tally: how often it ran, and for how long in all. */
export interface StatementCount {
  count: number;
  /** Time inside the driver's call, in ms; 0 where the driver answers asynchronously. */
  ms: number;
}

/** StatementTally is used to count statements over a stretch of a run. */
export interface StatementTally {
  start(): void;
  /** stop is used to end the count; it answers the tally per SQL text. */
  stop(): Map<string, StatementCount>;
}

let counts: Map<string, StatementCount> | undefined;

function record(sql: unknown, ms: number): void {
  if (!counts) return;
  const text = typeof sql === 'string' ? sql : '(unknown)';
  const c = counts.get(text) ?? { count: 0, ms: 0 };
  c.count += 1;
  c.ms += ms;
  counts.set(text, c);
}

function wrap(
  proto: unknown,
  name: string,
  sqlOf: (self: unknown, args: unknown[]) => unknown,
  timed: boolean,
): void {
  if (typeof proto !== 'object' || proto === null) return;
  const original: unknown = Reflect.get(proto, name);
  if (typeof original !== 'function') return;
  const patched: Method = function (this: unknown, ...args: unknown[]) {
    if (!counts) return Reflect.apply(original, this, args);
    const started = timed ? performance.now() : 0;
    try {
      return Reflect.apply(original, this, args);
    } finally {
      record(sqlOf(this, args), timed ? performance.now() - started : 0);
    }
  };
  Reflect.set(proto, name, patched);
}

let patched = false;

function patchDrivers(): void {
  if (patched) return;
  patched = true;
  const Sqlite: unknown = require('better-sqlite3');
  if (typeof Sqlite === 'function') {
    const probe: unknown = Reflect.construct(Sqlite, [':memory:']);
    const prepare: unknown = Reflect.get(Object(probe), 'prepare');
    if (typeof prepare === 'function') {
      const stmt: unknown = Reflect.apply(prepare, probe, ['select 1']);
      const proto: unknown = Object.getPrototypeOf(stmt);
      const sourceOf = (self: unknown): unknown => Reflect.get(Object(self), 'source');
      for (const m of ['run', 'get', 'all', 'iterate']) wrap(proto, m, sourceOf, m !== 'iterate');
    }
    const close: unknown = Reflect.get(Object(probe), 'close');
    if (typeof close === 'function') Reflect.apply(close, probe, []);
  }
  const mysql: unknown = require('mysql2');
  const Connection: unknown = Reflect.get(Object(mysql), 'Connection');
  if (typeof Connection === 'function') {
    const proto: unknown = Reflect.get(Connection, 'prototype');
    const sqlOf = (_self: unknown, args: unknown[]): unknown => {
      const first = args[0];
      return typeof first === 'string' ? first : Reflect.get(Object(first), 'sql');
    };
    for (const m of ['query', 'execute']) wrap(proto, m, sqlOf, false);
  }
}

/** createStatementTally is used once per benchmark process (the server runs in it). */
export function createStatementTally(): StatementTally {
  patchDrivers();
  return {
    start() {
      counts = new Map();
    },
    stop() {
      const out = counts ?? new Map<string, StatementCount>();
      counts = undefined;
      return out;
    },
  };
}
