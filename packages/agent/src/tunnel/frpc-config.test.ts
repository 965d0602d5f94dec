import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { ensureFrpBinaries, type FrpBinaries } from '@utopia/frp';
import { buildFrpcConfig, writeFrpcConfig, type FrpcConfigOptions } from './frpc-config.js';

const execFileAsync = promisify(execFile);

const OPTS: FrpcConfigOptions = {
  serverAddr: 'frp.example.org',
  serverPort: 7000,
  nodeId: 'node-a',
  authToken: 'frp-token',
  nodeCredential: 'cred"{{x}}',
  agentPort: 9200,
  adminPort: 7400,
  adminPassword: 'admin-pw',
};

describe('buildFrpcConfig', () => {
  it('writes the exact frpc.toml keys', () => {
    assert.equal(
      buildFrpcConfig(OPTS),
      [
        'serverAddr = "frp.example.org"',
        'serverPort = 7000',
        'user = "node-a"',
        'loginFailExit = false',
        'auth.method = "token"',
        'auth.token = "frp-token"',
        'auth.additionalScopes = ["NewWorkConns"]',
        'metadatas.utopia_credential = "cred\\"\\u007B\\u007Bx\\u007D\\u007D"',
        'webServer.addr = "127.0.0.1"',
        'webServer.port = 7400',
        'webServer.user = "utopia"',
        'webServer.password = "admin-pw"',
        'log.to = "console"',
        'log.level = "info"',
        'log.disablePrintColor = true',
        '',
        '[[proxies]]',
        'name = "control"',
        'type = "tcp"',
        'localIP = "127.0.0.1"',
        'localPort = 9200',
        'remotePort = 0',
        '',
      ].join('\n'),
    );
  });

  it('adds server certificate verification when a CA is given', () => {
    const text = buildFrpcConfig({ ...OPTS, remotePort: 20001, tls: { trustedCaFile: '/ca.pem' } });
    assert.match(text, /^transport\.tls\.enable = true$/m);
    assert.match(text, /^transport\.tls\.trustedCaFile = "\/ca\.pem"$/m);
    assert.doesNotMatch(text, /serverName/);
    assert.match(text, /^remotePort = 20001$/m);
  });
});

describe('writeFrpcConfig', () => {
  let dir = '';
  let bins: FrpBinaries;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'frpc-config-'));
    bins = await ensureFrpBinaries();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('writes mode 0600, even over a world-readable file', async () => {
    const path = join(dir, 'frpc.toml');
    await writeFile(path, 'old', { mode: 0o644 });
    await writeFrpcConfig(path, OPTS);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal(await readFile(path, 'utf8'), buildFrpcConfig(OPTS));
  });

  it('is accepted by the real frpc (strict parsing, template rendering)', async () => {
    const path = join(dir, 'verify.toml');
    await writeFrpcConfig(path, { ...OPTS, tls: { trustedCaFile: '/ca.pem', serverName: 'x' } });
    const { stdout } = await execFileAsync(bins.frpc, ['verify', '-c', path]);
    assert.match(stdout, /syntax is ok/);
  });
});
