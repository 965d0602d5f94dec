import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { ConfigError, loadConfig } from './config.js';
import { renderHelp, SERVER_SETTINGS } from './settings.js';

function configFile(t: TestContext, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'utopia-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'utopia.yaml');
  writeFileSync(file, text);
  return file;
}

test('defaults: 0.0.0.0:8080, ./data, SQLite under the data dir', () => {
  const c = loadConfig([], {});
  assert.equal(c.host, '0.0.0.0');
  assert.equal(c.port, 8080);
  assert.match(c.dataDir, /\/data$/);
  assert.equal(c.databaseUrl, `sqlite://${c.dataDir}/utopia.db`);
  assert.equal(c.schedulingPolicy, 'best-fit');
});

test('precedence: file < env < flags', (t) => {
  const file = configFile(t, 'port: 7001\nhost: 127.0.0.2\nlogLevel: debug\n');
  const fromFile = loadConfig(['--config', file], {});
  assert.deepEqual([fromFile.port, fromFile.host, fromFile.logLevel], [7001, '127.0.0.2', 'debug']);
  const fromEnv = loadConfig(['--config', file], { UTOPIA_PORT: '7002' });
  assert.equal(fromEnv.port, 7002);
  assert.equal(fromEnv.host, '127.0.0.2');
  const fromFlag = loadConfig(['--config', file, '--port=7003'], { UTOPIA_PORT: '7002' });
  assert.equal(fromFlag.port, 7003);
});

test('invalid settings name the setting', () => {
  const cases: [string[], Record<string, string>, RegExp][] = [
    [[], { UTOPIA_PORT: 'eighty' }, /UTOPIA_PORT/],
    [[], { UTOPIA_PORT: '70000' }, /UTOPIA_PORT/],
    [[], { UTOPIA_DATABASE_URL: 'postgres://x' }, /UTOPIA_DATABASE_URL/],
    [[], { UTOPIA_LOG_LEVEL: 'loud' }, /UTOPIA_LOG_LEVEL/],
    [[], { UTOPIA_FRP_ALLOW_PORTS: '80-90' }, /UTOPIA_FRP_ALLOW_PORTS/],
    [[], { UTOPIA_FRP_MODE: 'external' }, /UTOPIA_FRPS_ADMIN_URL/],
    [[], { UTOPIA_ADMIN_PASSWORD: 'short' }, /UTOPIA_ADMIN_PASSWORD/],
    [['--bogus', '1'], {}, /--bogus/],
    [['--port'], {}, /--port/],
  ];
  for (const [argv, env, pattern] of cases) {
    assert.throws(
      () => loadConfig(argv, env),
      (e: unknown) => e instanceof ConfigError && pattern.test(e.message),
    );
  }
});

test('the log level may be silent, like the agent', () => {
  assert.equal(loadConfig([], { UTOPIA_LOG_LEVEL: 'silent' }).logLevel, 'silent');
});

test('a nested value in the config file is refused, not turned into a string', (t) => {
  const file = configFile(t, 'port: [8080]\n');
  assert.throws(
    () => loadConfig(['--config', file], {}),
    (e: unknown) => e instanceof ConfigError && /'port' must be a scalar/.test(e.message),
  );
});

test('--help lists every setting with its default', () => {
  const help = renderHelp();
  for (const s of SERVER_SETTINGS) {
    assert.ok(help.includes(s.flag) && help.includes(s.env) && help.includes(s.defaultText), s.key);
  }
});
