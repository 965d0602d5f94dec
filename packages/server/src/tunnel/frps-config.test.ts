import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ensureFrpBinaries, type FrpBinaries } from '@utopia/frp';
import { buildFrpsConfig, writeFrpsConfig, type FrpsConfigOptions } from './frps-config.js';

const execFileAsync = promisify(execFile);

const OPTS: FrpsConfigOptions = {
  bindPort: 7000,
  authToken: 'frp-token',
  webServer: { port: 7500, user: 'admin', password: 'pw"{{ .Envs.X }}' },
  pluginPort: 8080,
};

describe('buildFrpsConfig', () => {
  it('writes the exact frps.toml keys', () => {
    assert.equal(
      buildFrpsConfig(OPTS),
      [
        'bindAddr = "0.0.0.0"',
        'bindPort = 7000',
        'proxyBindAddr = "127.0.0.1"',
        'allowPorts = [{ start = 20000, end = 20999 }]',
        'auth.method = "token"',
        'auth.token = "frp-token"',
        'auth.additionalScopes = ["NewWorkConns"]',
        'transport.tls.force = true',
        'webServer.addr = "127.0.0.1"',
        'webServer.port = 7500',
        'webServer.user = "admin"',
        'webServer.password = "pw\\"\\u007B\\u007B .Envs.X \\u007D\\u007D"',
        'log.to = "console"',
        'log.level = "info"',
        'log.disablePrintColor = true',
        '',
        '[[httpPlugins]]',
        'name = "utopia"',
        'addr = "127.0.0.1:8080"',
        'path = "/api/tunnel/frp-plugin"',
        'ops = ["Login", "NewProxy"]',
        '',
      ].join('\n'),
    );
  });

  it('takes the port range, port cap, bind address and certificate from the options', () => {
    const text = buildFrpsConfig({
      ...OPTS,
      bindAddr: '10.0.0.1',
      allowPorts: { start: 30000, end: 30099 },
      maxPortsPerClient: 5,
      tls: { certFile: '/etc/frp/s.crt', keyFile: '/etc/frp/s.key' },
    });
    assert.match(text, /^bindAddr = "10\.0\.0\.1"$/m);
    assert.match(text, /^proxyBindAddr = "127\.0\.0\.1"$/m);
    assert.match(text, /^allowPorts = \[\{ start = 30000, end = 30099 \}\]$/m);
    assert.match(text, /^maxPortsPerClient = 5$/m);
    assert.match(text, /^transport\.tls\.certFile = "\/etc\/frp\/s\.crt"$/m);
    assert.match(text, /^transport\.tls\.keyFile = "\/etc\/frp\/s\.key"$/m);
  });

  it('rejects a nonsensical port range', () => {
    for (const allowPorts of [
      { start: 0, end: 10 },
      { start: 20, end: 10 },
      { start: 1, end: 70000 },
      { start: 1.5, end: 10 },
    ]) {
      assert.throws(() => buildFrpsConfig({ ...OPTS, allowPorts }), RangeError);
    }
  });
});

describe('writeFrpsConfig', () => {
  let dir = '';
  let bins: FrpBinaries;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'frps-config-'));
    bins = await ensureFrpBinaries();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes mode 0600 and the real frps accepts the file', async () => {
    const path = join(dir, 'frps.toml');
    await writeFrpsConfig(path, {
      ...OPTS,
      maxPortsPerClient: 3,
      tls: { certFile: '/nonexistent.crt', keyFile: '/nonexistent.key' },
    });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const { stdout } = await execFileAsync(bins.frps, ['verify', '-c', path]);
    assert.match(stdout, /syntax is ok/);
  });

  it('is rejected by frps when a key is unknown (strict mode is on, so verify is meaningful)', async () => {
    const path = join(dir, 'bad.toml');
    await writeFrpsConfig(path, OPTS);
    const { appendFile } = await import('node:fs/promises');
    await appendFile(path, 'noSuchKey = 1\n');
    await assert.rejects(execFileAsync(bins.frps, ['verify', '-c', path]));
  });
});
