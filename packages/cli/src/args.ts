// Parsers for flag values. Each throws a usage error (exit 2) naming the flag.
import { usageError } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** parseDuration is used for --timeout and --expires: 90s, 5m, 1h30m, 7d (a bare number is seconds). */
export function parseDuration(flag: string, raw: string): number {
  if (/^\d+$/.test(raw)) return Number(raw) * 1000;
  const parts = [...raw.matchAll(/(\d+)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== raw)
    throw usageError(`${flag}: ${JSON.stringify(raw)} is not a duration (e.g. 90s, 5m, 1h30m)`);
  const ms = parts.reduce((sum, p) => sum + Number(p[1]) * (UNITS[p[2] ?? 's'] ?? 1000), 0);
  if (ms <= 0) throw usageError(`${flag} must be more than zero`);
  return ms;
}

/** parseIntFlag is used for integer flags with bounds. */
export function parseIntFlag(flag: string, raw: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(raw))
    throw usageError(`${flag}: ${JSON.stringify(raw)} is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw usageError(`${flag} must be between ${min} and ${max}`);
  return n;
}

/** parseNumberFlag is used for fractional flags such as --cpus. */
export function parseNumberFlag(flag: string, raw: string, min: number, max: number): number {
  if (!/^\d+(\.\d+)?$/.test(raw))
    throw usageError(`${flag}: ${JSON.stringify(raw)} is not a number`);
  const n = Number(raw);
  if (n < min || n > max) throw usageError(`${flag} must be between ${min} and ${max}`);
  return n;
}

/** parseKeyValue is used for --env K=V, --label K=V, --node-selector K=V. */
export function parseKeyValue(flag: string, raw: string): [string, string] {
  const at = raw.indexOf('=');
  if (at <= 0) throw usageError(`${flag}: ${JSON.stringify(raw)} must be KEY=VALUE`);
  return [raw.slice(0, at), raw.slice(at + 1)];
}

/** collect is used by repeatable flags (commander's argParser accumulator). */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
