import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findFreePort } from '@utopia/frp';
import { ensureFrpBinaries, type FrpBinaries } from '@utopia/frp';
import {
  fetchFrpcStatus,
  parseFrpcStatus,
  tunnelHealth,
  TunnelHealth,
} from './frpc-admin.client.js';
import { createFrpcSupervisor } from './frpc-supervisor.js';

// Shape of frpc's GET /api/status (client/http/model/types.go, v0.70.1).
const SAMPLE = {
  tcp: [
    {
      name: 'control',
      type: 'tcp',
      status: 'running',
      err: '',
      local_addr: '127.0.0.1:9200',
      plugin: '',
      remote_addr: 'frp.example.org:20017',
    },
    {
      name: 'claim-1',
      type: 'tcp',
      status: 'start error',
      err: 'port already used',
      local_addr: '127.0.0.1:8000',
      plugin: '',
      remote_addr: '',
      source: 'config',
      extra: 42,
    },
  ],
  udp: [],
};

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('frpc status', () => {
  it('parses /api/status and classifies each proxy', () => {
    const proxies = parseFrpcStatus(SAMPLE);
    assert.deepEqual(
      proxies.map((p) => [p.name, p.phase, p.error, p.remoteAddr]),
      [
        ['claim-1', 'start error', 'port already used', ''],
        ['control', 'running', '', 'frp.example.org:20017'],
      ],
    );
    assert.equal(tunnelHealth(proxies, 'control'), TunnelHealth.Running);
    assert.equal(tunnelHealth(proxies, 'claim-1'), TunnelHealth.Conflict);
    assert.equal(tunnelHealth(parseFrpcStatus({}), 'control'), TunnelHealth.Disconnected);
    const broken = parseFrpcStatus({
      tcp: [{ name: 'x', status: 'start error', err: 'connection refused' }],
    });
    assert.equal(tunnelHealth(broken, 'x'), TunnelHealth.Error);
    assert.throws(() => parseFrpcStatus([]));
  });

  it('reads the admin API with Basic auth', async () => {
    let seenAuth = '';
    const server: Server = createServer((req, res) => {
      seenAuth = req.headers.authorization ?? '';
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(SAMPLE));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const proxies = await fetchFrpcStatus({
        baseUrl: `http://127.0.0.1:${port}/`,
        user: 'utopia',
        password: 'pw',
      });
      assert.equal(proxies.length, 2);
      assert.equal(seenAuth, `Basic ${Buffer.from('utopia:pw').toString('base64')}`);
    } finally {
      server.close();
    }
  });
});

describe('frpc supervisor (real frpc, no frps)', () => {
  let dir = '';
  let bins: FrpBinaries;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'frpc-sup-'));
    bins = await ensureFrpBinaries();
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('runs frpc, reports a disconnected tunnel, restarts it when killed, stops it', async () => {
    const sup = createFrpcSupervisor({
      binaryPath: bins.frpc,
      configDir: join(dir, 'frp'),
      backoff: { initialMs: 100 },
      config: {
        serverAddr: '127.0.0.1',
        serverPort: await findFreePort(), // nothing listens: frpc keeps retrying its login
        nodeId: 'node-a',
        authToken: 'token',
        nodeCredential: 'cred',
        agentPort: await findFreePort(),
        adminPort: await findFreePort(),
        adminPassword: 'admin-pw',
      },
    });
    // 1. start: frpc stays up despite the failed login (loginFailExit = false)
    sup.start();
    await until(async () => sup.state === 'running', 10_000);
    assert.equal((await stat(sup.configPath)).mode & 0o777, 0o600);
    const first = await sup.status();
    assert.equal(first.control, TunnelHealth.Disconnected);
    assert.deepEqual(first.proxies, []);
    assert.equal(first.error, undefined);
    // 2. an external kill is noticed (no zombie) and frpc comes back with a new pid
    const pid = first.pid;
    assert.ok(pid);
    process.kill(pid, 'SIGKILL');
    await until(async () => {
      const s = await sup.status();
      return s.process === 'running' && s.pid !== undefined && s.pid !== pid && !s.error;
    }, 10_000);
    // 3. stop: the process is gone and status says so without throwing
    await sup.stop();
    const last = await sup.status();
    assert.equal(last.process, 'stopped');
    assert.equal(last.control, TunnelHealth.Disconnected);
    assert.ok(last.error);
  });

  it('restarts frpc when the control tunnel stays down past the watchdog limit', async () => {
    const logs: string[] = [];
    const sup = createFrpcSupervisor({
      binaryPath: bins.frpc,
      configDir: join(dir, 'watchdog'),
      backoff: { initialMs: 100 },
      watchdog: { intervalMs: 100, restartAfterMs: 600 },
      log: (_level, message) => logs.push(message),
      config: {
        serverAddr: '127.0.0.1',
        serverPort: await findFreePort(),
        nodeId: 'node-a',
        authToken: 'token',
        nodeCredential: 'cred',
        agentPort: await findFreePort(),
        adminPort: await findFreePort(),
        adminPassword: 'admin-pw',
      },
    });
    sup.start();
    try {
      await until(async () => logs.some((l) => /frpc running .*start #2/.test(l)), 10_000);
      assert.ok(logs.some((l) => /control tunnel disconnected .* restarting/.test(l)));
    } finally {
      await sup.stop();
    }
  });
});
