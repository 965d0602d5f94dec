import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseCommandLine, type AgentConfig } from './agent-config.js';
import { AGENT_SETTINGS, renderAgentHelp } from './agent-settings.js';
import { tempDir } from '../test-support/temp-dir.js';

function run(argv: string[], env: NodeJS.ProcessEnv = {}, cwd = '/srv'): AgentConfig {
  const parsed = parseCommandLine(argv, env, cwd);
  assert.equal(parsed.action, 'run');
  if (parsed.action !== 'run') throw new Error('unreachable');
  return parsed.config;
}

test('defaults: loopback listen, identity under ./data, A100 simulation defaults', () => {
  const c = run(['--server-url', 'http://server:8080/']);
  assert.equal(c.serverUrl, 'http://server:8080');
  assert.equal(c.listenHost, '127.0.0.1');
  assert.equal(c.listenPort, 9200);
  assert.equal(c.identityFile, '/srv/data/agent-identity.json');
  assert.equal(c.simulateGpus, 0);
  assert.equal(c.simulateGpuModel, 'NVIDIA A100-SXM4-80GB');
  assert.equal(c.simulateGpuMemoryMiB, 81920);
  assert.equal(c.frpServerAddr, 'server');
  assert.equal(c.frpServerPort, undefined);
  assert.equal(c.tunnel, 'auto');
  assert.equal(c.containerNetwork, 'bridge');
  assert.equal(c.advertiseAddress, undefined);
  assert.equal(c.gpuInjection, 'auto');
  assert.deepEqual(c.cdiSpecDirs, ['/etc/cdi', '/var/run/cdi']);
});

test('GPU injection settings: mode and CDI folders, bad ones named', () => {
  const c = run(['--server-url', 'http://s', '--gpu-injection', 'cdi'], {
    UTOPIA_AGENT_CDI_SPEC_DIRS: '/opt/cdi, /run/cdi',
  });
  assert.equal(c.gpuInjection, 'cdi');
  assert.deepEqual(c.cdiSpecDirs, ['/opt/cdi', '/run/cdi']);
  assert.throws(
    () => parseCommandLine(['--server-url', 'http://s', '--gpu-injection', 'docker'], {}),
    /gpuInjection \(--gpu-injection, UTOPIA_AGENT_GPU_INJECTION\)/,
  );
  assert.throws(
    () => parseCommandLine(['--server-url', 'http://s', '--cdi-spec-dirs', 'etc/cdi'], {}),
    /cdiSpecDirs .*not a comma-separated list of absolute folders/,
  );
});

test('precedence: file < env < flags', (t) => {
  const dir = tempDir(t, 'agent-config-');
  const file = join(dir, 'agent.yaml');
  writeFileSync(
    file,
    'serverUrl: http://from-file:1\nsimulateGpus: 2\nlisten: 127.0.0.1:9300\ndataDir: /var/lib/utopia\n',
  );
  const env = { UTOPIA_AGENT_SIMULATE_GPUS: '4', UTOPIA_AGENT_SERVER_URL: 'http://from-env:2' };
  const c = run(['--config', file, '--server-url=http://from-flag:3'], env);
  assert.equal(c.serverUrl, 'http://from-flag:3');
  assert.equal(c.simulateGpus, 4);
  assert.equal(c.listenPort, 9300);
  assert.equal(c.identityFile, '/var/lib/utopia/agent-identity.json');
});

test('invalid settings name the setting', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /serverUrl \(--server-url, UTOPIA_AGENT_SERVER_URL\): required/],
    [['--server-url', 'ftp://x'], /serverUrl .*http/],
    [
      ['--server-url', 'http://s', '--simulate-gpus', 'two'],
      /simulateGpus \(--simulate-gpus, UTOPIA_AGENT_SIMULATE_GPUS\): 'two' is not an integer/,
    ],
    [['--server-url', 'http://s', '--simulate-gpus', '-1'], /simulateGpus .*: -1 is outside/],
    [['--server-url', 'http://s', '--listen', '9200'], /listen .*: '9200' is not host:port/],
    [['--server-url', 'http://s', '--log-level', 'loud'], /logLevel/],
    [['--server-url', 'http://s', '--bogus', '1'], /unknown option '--bogus'/],
    [['--server-url'], /needs a value/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(
      () => parseCommandLine(argv, {}, '/srv'),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        assert.match(err.message, message);
        return true;
      },
    );
  }
});

test('--help documents every setting with its default', () => {
  assert.deepEqual(parseCommandLine(['--help'], {}), { action: 'help' });
  const help = renderAgentHelp();
  for (const s of AGENT_SETTINGS) {
    assert.ok(help.includes(s.flag), s.flag);
    assert.ok(help.includes(s.env), s.env);
    assert.ok(help.includes(`Default: ${s.defaultText}`), s.key);
  }
});
