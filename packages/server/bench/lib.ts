// Small helpers shared by the benchmarks: timing, statistics, a seeded PRNG and table output.
// Benchmarks live outside src/ so they are never compiled into dist.

/** nowNs is used to read a monotonic clock in nanoseconds. */
export const nowNs = (): bigint => process.hrtime.bigint();

/** msSince is used to turn a nowNs() start into elapsed milliseconds. */
export const msSince = (start: bigint): number => Number(nowNs() - start) / 1e6;

/** Stats is used to summarise a sample of durations (all in the sample's own unit). */
export interface Stats {
  n: number;
  median: number;
  p95: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** quantile is used to read a quantile of sorted values (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** stats is used to summarise a sample. */
export function stats(values: readonly number[]): Stats {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    median: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    min: sorted[0] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
    mean: sorted.length > 0 ? sum / sorted.length : Number.NaN,
  };
}

export { mulberry32 } from '../src/testing/random.js';

/** randInt is used to draw an integer in [lo, hi] from a PRNG. */
export const randInt = (rand: () => number, lo: number, hi: number): number =>
  lo + Math.floor(rand() * (hi - lo + 1));

/** fmt is used to print a number with a fixed number of decimals. */
export const fmt = (v: number, digits = 2): string =>
  Number.isFinite(v) ? v.toFixed(digits) : String(v);

/** printTable is used to print an aligned plain-text (also valid Markdown) table. */
export function printTable(title: string, header: readonly string[], rows: readonly string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padStart(widths[i] ?? 0)).join(' | ')} |`;
  console.log(`\n${title}\n`);
  console.log(line(header));
  console.log(`|${widths.map((w) => `${'-'.repeat(w + 1)}:`).join('|')}|`);
  for (const r of rows) console.log(line(r));
}

/** sleep is used to wait between polls. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
