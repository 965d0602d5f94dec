// What the fleet benchmarks share: which databases to run on, the node count, and what the
// server process used over a stretch of the run.
import { loadavg } from 'node:os';
import type { Kysely } from 'kysely';
import type { Database } from '../src/db/schema.js';
import { testDatabases, type TestDb } from '../src/testing/harness.js';
import type { StatementCount } from '../src/testing/statement-tally.js';
import { fmt, printTable } from './lib.js';

/** fleetDbs is used to read UTOPIA_BENCH_FLEET_DBS (default: the test databases available). */
export function fleetDbs(): TestDb[] {
  const list = process.env.UTOPIA_BENCH_FLEET_DBS;
  if (!list) return testDatabases();
  return list.split(',').filter((d): d is TestDb => d === 'sqlite' || d === 'mysql');
}

/** envNumber is used to read a numeric bench setting with its default. */
export const envNumber = (name: string, fallback: number): number =>
  Number(process.env[name] ?? fallback);

/** loadText is used to print the 1-minute load average (what else the machine was doing). */
export const loadText = (): string => fmt(loadavg()[0] ?? Number.NaN, 1);

/** ProcessUse is used for what this process (the server) used since a start mark. */
export interface ProcessUse {
  wallMs: number;
  cpuMs: number;
  /** CPU time as a share of one core, in percent. */
  corePercent: number;
}

/** measureFrom is used to start a mark; calling the result reads the use since then. */
export function measureFrom(): () => ProcessUse {
  const cpu = process.cpuUsage();
  const start = Date.now();
  return () => {
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const wallMs = Date.now() - start;
    return { wallMs, cpuMs, corePercent: (cpuMs / Math.max(1, wallMs)) * 100 };
  };
}

/** rssMiB is used to read this process's resident memory. */
export const rssMiB = (): number => process.memoryUsage().rss / 2 ** 20;

/**
 * dbWrites is used to count the writes a loop made: node row versions, change-feed rows and
 * events. (The leader's lease renewal is a write by design and not counted.)
 */
export async function dbWrites(db: Kysely<Database>): Promise<number> {
  const v = await db
    .selectFrom('nodes')
    .select((eb) => eb.fn.sum<number>('version').as('v'))
    .executeTakeFirstOrThrow();
  const count = async (table: 'resource_changes' | 'events') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('c'))
          .executeTakeFirstOrThrow()
      ).c,
    );
  return Number(v.v) + (await count('resource_changes')) + (await count('events'));
}

/** printStatements is used to show a statement tally: per claim, and the costliest texts. */
export function printStatements(
  what: string,
  counts: ReadonlyMap<string, StatementCount>,
  claims: number,
): void {
  const per = (n: number): string => fmt(n / Math.max(1, claims), 3);
  const all = [...counts.values()];
  const total = all.reduce((a, c) => a + c.count, 0);
  const ms = all.reduce((a, c) => a + c.ms, 0);
  const top = [...counts].sort((a, b) => b[1].ms - a[1].ms || b[1].count - a[1].count).slice(0, 25);
  printTable(
    `SQL statements during ${what}: ${fmt(total / Math.max(1, claims), 2)} per claim (${total} for ${claims} claims Running), ${per(ms)} ms per claim inside the driver (SQLite only)`,
    ['per claim', 'count', 'driver ms/claim', 'statement'],
    top.map(([sql, c]) => [per(c.count), String(c.count), per(c.ms), sql.slice(0, 160)]),
  );
}
