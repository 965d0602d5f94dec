import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CliError } from '../errors.js';
import { readConfig, writeConfig } from './config-file.js';

const dir = mkdtempSync(join(tmpdir(), 'utopia-cli-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('written 0600 in a 0700 directory, and read back', () => {
  const path = join(dir, 'a', 'config.yaml');
  const config = {
    currentContext: 'lab',
    contexts: { lab: { server: 'http://x:8080', token: 'utp_secret' } },
  };
  writeConfig(path, config);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'a')).mode & 0o777, 0o700);
  assert.deepEqual(readConfig(path), config);
});

test('a missing or empty file is an empty config; a foreign one is refused by name', () => {
  assert.deepEqual(readConfig(join(dir, 'none.yaml')), { contexts: {} });
  const empty = join(dir, 'empty.yaml');
  writeFileSync(empty, '');
  assert.deepEqual(readConfig(empty), { contexts: {} });
  for (const [name, text] of [
    ['bad.yaml', 'contexts: [\n'],
    ['foreign.yaml', 'apiVersion: v1\nkind: Config\n'],
    ['types.yaml', 'contexts: { lab: { server: 3 } }\n'],
  ] as const) {
    const path = join(dir, name);
    writeFileSync(path, text);
    assert.throws(
      () => readConfig(path),
      (e: unknown) => e instanceof CliError && e.code === 'BAD_CONFIG' && e.message.includes(path),
    );
  }
});
