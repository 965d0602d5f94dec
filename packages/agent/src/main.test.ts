import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_SETTINGS } from './config/agent-settings.js';
import { spawnAgent } from './test-support/agent-process.js';
import { tempDir } from './test-support/temp-dir.js';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));

function agent(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): { status: number | null; out: string; err: string } {
  const res = spawnSync(
    process.execPath,
    ['--conditions=utopia-source', '--import', 'tsx', main, ...args],
    {
      env: { PATH: process.env.PATH, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  return { status: res.status, out: res.stdout, err: res.stderr };
}

test('utopia-agent --help documents every setting and exits 0', () => {
  const res = agent(['--help']);
  assert.equal(res.status, 0, res.err);
  for (const s of AGENT_SETTINGS) assert.ok(res.out.includes(s.flag), s.flag);
});

test('an invalid setting exits 2 with a message naming it', () => {
  const res = agent(['--server-url', 'http://127.0.0.1:9', '--simulate-gpus', 'lots']);
  assert.equal(res.status, 2);
  assert.match(
    res.err,
    /simulateGpus \(--simulate-gpus, UTOPIA_AGENT_SIMULATE_GPUS\): 'lots' is not an integer/,
  );
  const env = agent([], {
    UTOPIA_AGENT_SERVER_URL: 'http://127.0.0.1:9',
    UTOPIA_AGENT_LISTEN: 'nowhere',
  });
  assert.equal(env.status, 2);
  assert.match(env.err, /listen \(--listen, UTOPIA_AGENT_LISTEN\): 'nowhere'/);
});

test('a rejected join token exits 1 with a clear message (no retry loop)', async (t) => {
  const { FakeServer } = await import('./test-support/fake-server.js');
  const fake = new FakeServer();
  const url = await fake.listen();
  const dir = tempDir(t, 'agent-main-');
  writeFileSync(
    join(dir, 'agent.yaml'),
    `serverUrl: ${url}\njoinToken: wrong\nlisten: 127.0.0.1:0\nsimulateGpus: 1\n`,
  );
  // spawnSync would block the fake server's event loop: run the agent asynchronously.
  const { spawn } = await import('node:child_process');
  const child = spawn(
    process.execPath,
    [
      '--conditions=utopia-source',
      '--import',
      'tsx',
      main,
      '--config',
      join(dir, 'agent.yaml'),
      '--data-dir',
      dir,
    ],
    { env: { PATH: process.env.PATH, UTOPIA_AGENT_LOG_LEVEL: 'silent' } },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  await fake.close();
  assert.equal(code, 1, err);
  assert.match(err, /refused the join token/);
  assert.equal(fake.calls.length, 1);
});

test('SIGTERM: stops serving and exits 0 (containers are left to be adopted)', async (t) => {
  const { FakeServer } = await import('./test-support/fake-server.js');
  const fake = new FakeServer();
  const url = await fake.listen();
  const dir = tempDir(t, 'agent-main-');
  const agent = spawnAgent(['--server-url', url, '--join-token', 'join-ok'], {
    UTOPIA_AGENT_DATA_DIR: dir,
    UTOPIA_AGENT_LISTEN: '127.0.0.1:0',
    UTOPIA_AGENT_SIMULATE_GPUS: '2',
    UTOPIA_AGENT_DOCKER_SOCKET: join(dir, 'no-docker.sock'),
  });
  // 1. Wait for the "agent ready" log line, which carries the URL.
  const agentUrl = await agent.ready;
  assert.equal((await fetch(`${agentUrl}/health`)).status, 200);
  // 2. SIGTERM: a clean exit, and the port no longer answers.
  agent.child.kill('SIGTERM');
  assert.equal(await agent.exited, 0, agent.log());
  await assert.rejects(fetch(`${agentUrl}/health`));
  await fake.close();
});
