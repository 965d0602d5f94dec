import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, parseIntFlag, parseKeyValue } from './args.js';
import { CliError, ExitCode } from './errors.js';
import { age } from './output/table.js';

const usage = (fn: () => unknown): void =>
  assert.throws(fn, (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.Usage);

test('durations: units, combinations, bare seconds; nonsense is a usage error', () => {
  const table: [string, number][] = [
    ['90s', 90_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['7d', 604_800_000],
    ['250ms', 250],
    ['45', 45_000],
  ];
  for (const [raw, ms] of table) assert.equal(parseDuration('--timeout', raw), ms, raw);
  for (const raw of ['', '5x', 'm5', '1h 30m', '0s', '-5s', '5m3'])
    usage(() => parseDuration('--timeout', raw));
});

test('integers are bounded; KEY=VALUE keeps = in the value', () => {
  assert.equal(parseIntFlag('--gpus', '8', 1, 64), 8);
  for (const raw of ['0', '65', '1.5', 'two', '']) usage(() => parseIntFlag('--gpus', raw, 1, 64));
  assert.deepEqual(parseKeyValue('--env', 'A=b=c'), ['A', 'b=c']);
  assert.deepEqual(parseKeyValue('--env', 'A='), ['A', '']);
  for (const raw of ['A', '=b']) usage(() => parseKeyValue('--env', raw));
});

test('ages read like kubectl', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  const at = (s: number): string => new Date(now - s * 1000).toISOString();
  assert.equal(age(at(5), now), '5s');
  assert.equal(age(at(600), now), '10m');
  assert.equal(age(at(3600 + 600), now), '1h10m');
  assert.equal(age(at(86400 * 3), now), '3d');
  assert.equal(age(null, now), '<none>');
});
