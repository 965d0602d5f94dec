import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigError } from './config-error.js';
import { LOG_LEVELS } from './setting-spec.js';
import { SettingsTable } from './settings-table.js';

const SPECS = [
  { key: 'port', env: 'DEMO_PORT', flag: '--port', defaultText: '80', description: 'Port' },
  { key: 'host', env: 'DEMO_HOST', flag: '--host', defaultText: 'localhost', description: 'Host' },
  { key: 'mode', env: 'DEMO_MODE', flag: '--mode', defaultText: 'a', description: 'a or b' },
] as const;
type DemoKey = (typeof SPECS)[number]['key'];
const table = new SettingsTable<DemoKey>(SPECS, { program: 'demo', configEnv: 'DEMO_CONFIG' });

const dir = mkdtempSync(join(tmpdir(), 'settings-table-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function throwsConfigError(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, message);
    return true;
  });
}

test('precedence: config file < environment < flag', () => {
  const path = file('precedence.yaml', 'port: 1\nhost: from-file\nmode: a\n');
  const env = { DEMO_PORT: '2', DEMO_HOST: 'from-env' };
  assert.deepEqual(table.load(['--config', path, '--port=3'], env, '/'), {
    port: '3',
    host: 'from-env',
    mode: 'a',
  });
});

test('both flag forms; the last flag wins; an empty variable counts as not given', () => {
  assert.deepEqual(table.load(['--port', '1', '--port=2', '--host', 'h'], { DEMO_MODE: '' }, '/'), {
    port: '2',
    host: 'h',
  });
});

test('the config file comes from the flag or the variable, relative to cwd, YAML or JSON', () => {
  file('relative.json', '{"port": 8443, "mode": "b"}');
  assert.deepEqual(table.load([], { DEMO_CONFIG: 'relative.json' }, dir), {
    port: '8443',
    mode: 'b',
  });
  assert.deepEqual(table.load(['--config', 'relative.json'], {}, dir), { port: '8443', mode: 'b' });
  assert.deepEqual(table.load(['--config', file('empty.yaml', '')], {}, '/'), {});
});

test('a null value in the config file counts as not given', () => {
  const path = file('null.yaml', 'port: ~\nhost: h\n');
  assert.deepEqual(table.load(['--config', path], {}, '/'), { host: 'h' });
});

test('bad config files name the file and the problem', () => {
  const cases: Array<[string, RegExp]> = [
    ['port: [80]\n', /setting 'port' must be a scalar/],
    ['host:\n  name: x\n', /setting 'host' must be a scalar/],
    ['volumes: /etc\n', /unknown setting 'volumes'/],
    ['- port\n', /expected a mapping/],
    ['just a string\n', /expected a mapping/],
    ['port: [1\n', /config file .*bad\.yaml: /],
  ];
  for (const [text, message] of cases) {
    const path = file('bad.yaml', text);
    throwsConfigError(() => table.load(['--config', path], {}, '/'), message);
  }
  throwsConfigError(
    () => table.load(['--config', join(dir, 'missing.yaml')], {}, '/'),
    /config file .*missing\.yaml: .*ENOENT/,
  );
});

test('bad command lines say which option', () => {
  throwsConfigError(
    () => table.load(['--bogus', '1'], {}, '/'),
    /unknown option '--bogus' \(see demo --help\)/,
  );
  throwsConfigError(() => table.load(['--port'], {}, '/'), /option '--port' needs a value/);
  throwsConfigError(() => table.load(['--config'], {}, '/'), /option '--config' needs a value/);
});

test('integer: whole numbers within the range, named by key, flag and variable', () => {
  assert.equal(table.integer('port', ' 8080 ', 0, 65535), 8080);
  assert.equal(table.integer('port', '0', 0, 65535), 0);
  throwsConfigError(
    () => table.integer('port', 'eighty', 0, 65535),
    /^port \(--port, DEMO_PORT\): 'eighty' is not an integer$/,
  );
  throwsConfigError(() => table.integer('port', '1.5', 0, 65535), /'1.5' is not an integer/);
  throwsConfigError(() => table.integer('port', '-1', 0, 65535), /-1 is outside 0..65535/);
  throwsConfigError(() => table.integer('port', '70000', 0, 65535), /70000 is outside 0..65535/);
});

test('oneOf and logLevel accept only their words', () => {
  assert.equal(table.oneOf('mode', 'b', ['a', 'b'] as const), 'b');
  throwsConfigError(() => table.oneOf('mode', 'c', ['a', 'b']), /mode .*'c' is not one of a, b/);
  for (const level of LOG_LEVELS) assert.equal(table.logLevel('mode', level), level);
  assert.ok(LOG_LEVELS.includes('silent'));
  throwsConfigError(() => table.logLevel('mode', 'loud'), /'loud' is not one of trace, debug/);
});

test('--help lists every setting with its flag, variable, key and default', () => {
  const help = table.renderHelp(['Intro line.'], ['--help, -h']);
  assert.match(help, /^Usage: demo \[--config FILE\] \[--flag value \.\.\.\]\n\nIntro line\.\n/);
  for (const s of SPECS) {
    assert.ok(help.includes(`  ${s.flag} VALUE  (env ${s.env}; file key ${s.key})`), s.key);
    assert.ok(help.includes(`      ${s.description}. Default: ${s.defaultText}`), s.key);
  }
  assert.match(help, /\n {2}--config FILE {2}\(env DEMO_CONFIG\)\n {2}--help, -h$/);
});
