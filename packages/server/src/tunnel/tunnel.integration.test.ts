// End to end with the real frps and frpc (scripts/build-frp.sh builds them when missing):
// supervisor + plugin decisions + discovery on the server side, the agent's frpc.toml on the other.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
// TODO(lead): import from '@utopia/agent' once its index re-exports ./tunnel/index.js.

import {
  buildFrpcConfig,
  FRPC_ADMIN_USER,
  writeFileSecret,
  type FrpcConfigOptions,
} from '@utopia/agent';
import { fetchFrpcStatus } from '@utopia/agent';
import { renderToml } from '@utopia/frp';
import { findFreePort } from '@utopia/frp';
import { ensureFrpBinaries, type FrpBinaries } from '@utopia/frp';
import {
  decideFrpPluginRequest,
  RejectReason,
  type FrpPluginLookup,
  type FrpPluginResponse,
} from './frp-plugin.js';
import { createFrpsAdminClient, matchControlTunnels } from './frps-admin.client.js';
import type { PortRange } from './frps-config.js';
import { createFrpsSupervisor, type FrpsSupervisor } from './frps-supervisor.js';

const ALLOW_PORTS: PortRange = { start: 24000, end: 24999 };
const NODES: Record<string, string> = { 'node-a': 'cred-a', 'node-b': 'cred-b' };
const lookup: FrpPluginLookup = {
  verifyNodeCredential: async (id, credential) => NODES[id] === credential,
  allowedProxies: async (id) => (NODES[id] ? [{ name: 'control' }] : []),
};

interface Decision {
  readonly op: string;
  readonly user: string;
  readonly response: FrpPluginResponse;
}

interface RunningFrpc {
  readonly child: ChildProcess;
  readonly output: string[];
  readonly adminPort: number;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  return typeof address === 'object' && address ? address.port : 0;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
}

function userOf(body: unknown): string {
  if (typeof body !== 'object' || body === null || !('content' in body)) return '';
  const content: unknown = body.content;
  if (typeof content !== 'object' || content === null) return '';
  if ('user' in content && typeof content.user === 'string') return content.user;
  if ('user' in content && typeof content.user === 'object' && content.user !== null) {
    return 'user' in content.user && typeof content.user.user === 'string' ? content.user.user : '';
  }
  return '';
}

async function eventually<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  ms: number,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (${String(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Listening sockets on `port` from /proc/net/tcp{,6}: hex local address per LISTEN entry. */
async function listenersOn(port: number): Promise<string[]> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const out: string[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      if (state === '0A' && local?.endsWith(`:${hexPort}`)) out.push(local.split(':')[0] ?? '');
    }
  }
  return out;
}

describe('frp tunnel, real frps + frpc', () => {
  let dir = '';
  let bins: FrpBinaries;
  let frps: FrpsSupervisor;
  let bindPort = 0;
  const decisions: Decision[] = [];
  const frpsLog: string[] = [];
  const servers: Server[] = [];
  const clients: ChildProcess[] = [];
  const admin = { user: 'frps-admin', password: 'admin-secret', port: 0 };
  let agentPort = 0;

  async function startFrpc(
    opts: Partial<FrpcConfigOptions>,
    proxies?: string,
  ): Promise<RunningFrpc> {
    const adminPort = await findFreePort();
    const config: FrpcConfigOptions = {
      serverAddr: '127.0.0.1',
      serverPort: bindPort,
      nodeId: 'node-a',
      authToken: 'frp-token',
      nodeCredential: 'cred-a',
      agentPort,
      adminPort,
      adminPassword: 'frpc-admin',
      ...opts,
    };
    let text = buildFrpcConfig(config);
    if (proxies !== undefined) text = text.slice(0, text.indexOf('[[proxies]]')) + proxies;
    const path = join(dir, `frpc-${adminPort}.toml`);
    await writeFileSecret(path, text);
    const child = spawn(bins.frpc, ['-c', path], { stdio: ['ignore', 'pipe', 'pipe'] });
    clients.push(child);
    const output: string[] = [];
    child.stdout.on('data', (d: Buffer) => output.push(d.toString()));
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    return { child, output, adminPort };
  }

  const frpsAdmin = () =>
    createFrpsAdminClient({
      baseUrl: `http://127.0.0.1:${admin.port}`,
      user: admin.user,
      password: admin.password,
    });

  // A cold frp build takes about a minute on 2 cores; the test itself gets 60 s below.
  before(async () => {
    bins = await ensureFrpBinaries();
    dir = await mkdtemp(join(tmpdir(), 'tunnel-it-'));
    // 1. the server's plugin route, standing in for the Fastify one
    const plugin = createServer((req, res) => {
      void readJson(req).then(async (body) => {
        const response = await decideFrpPluginRequest(body, lookup, { allowPorts: ALLOW_PORTS });
        const op = typeof body === 'object' && body && 'op' in body ? String(body.op) : '';
        decisions.push({ op, user: userOf(body), response });
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(response));
      });
    });
    // 2. the agent API behind the tunnel
    const agentApi = createServer((_req, res) => res.end('hello from node-a'));
    servers.push(plugin, agentApi);
    const pluginPort = await listen(plugin);
    agentPort = await listen(agentApi);
    // 3. frps under the supervisor
    bindPort = await findFreePort();
    admin.port = await findFreePort();
    frps = createFrpsSupervisor({
      binaryPath: bins.frps,
      configDir: join(dir, 'frps'),
      backoff: { initialMs: 200 },
      log: (_level, message) => frpsLog.push(message),
      config: {
        bindAddr: '127.0.0.1',
        bindPort,
        authToken: 'frp-token',
        allowPorts: ALLOW_PORTS,
        webServer: { port: admin.port, user: admin.user, password: admin.password },
        pluginPort,
      },
    });
    frps.start();
    await eventually(
      'frps ready',
      async () => (frps.state === 'running' ? true : undefined),
      15_000,
    );
  });

  after(async () => {
    for (const child of clients) child.kill('SIGKILL');
    await frps?.stop();
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'tunnels node A, rejects impostors, stays on loopback, survives an frps crash',
    {
      timeout: 60_000,
    },
    async () => {
      // 1. node A's frpc (config from the agent's writer) logs in and opens its control tunnel
      await startFrpc({});
      const port = await eventually(
        'node-a.control online',
        async () => matchControlTunnels(await frpsAdmin().listTcpProxies()).get('node-a'),
        20_000,
      );
      assert.ok(port >= ALLOW_PORTS.start && port <= ALLOW_PORTS.end, `port ${port} in range`);
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      assert.equal(await res.text(), 'hello from node-a');

      // 2. the tunnel port listens on 127.0.0.1 only (proxyBindAddr); we check the socket instead
      // of connecting to a non-loopback address, which this test must not send traffic to.
      assert.deepEqual(await listenersOn(port), ['0100007F']);

      // 3. right frp token, but node B's id with node A's credential: Login is rejected
      const impostor = await startFrpc({ nodeId: 'node-b', nodeCredential: 'cred-a' });
      await eventually(
        'Login rejected for node-b',
        async () =>
          decisions.find((d) => d.op === 'Login' && d.user === 'node-b' && d.response.reject)
            ? true
            : undefined,
        15_000,
      );
      await eventually(
        'frpc told why',
        async () =>
          impostor.output.join('').includes(RejectReason.UnknownNode) ? true : undefined,
        5_000,
      );

      // 4. node A (valid login) asks for a proxy named after node B: NewProxy is rejected
      const nameThief = await startFrpc(
        {},
        renderToml({
          root: {},
          tableArrays: {
            proxies: [
              { name: 'node-b.control', type: 'tcp', localIP: '127.0.0.1', localPort: agentPort },
            ],
          },
        }),
      );
      const thiefStatus = await eventually(
        'NewProxy rejected',
        async () => {
          const proxies = await fetchFrpcStatus({
            baseUrl: `http://127.0.0.1:${nameThief.adminPort}`,
            user: FRPC_ADMIN_USER,
            password: 'frpc-admin',
          });
          const proxy = proxies.find((p) => p.name.endsWith('node-b.control'));
          return proxy?.phase === 'start error' ? proxy : undefined;
        },
        15_000,
      );
      assert.match(thiefStatus.error, new RegExp(RejectReason.ProxyNotAllowed));
      assert.ok(
        decisions.some((d) => d.op === 'NewProxy' && d.user === 'node-a' && d.response.reject),
        'frps asked the plugin and got a rejection',
      );
      const names = (await frpsAdmin().listTcpProxies()).map((p) => p.name);
      assert.deepEqual(names, ['node-a.control']);
      assert.deepEqual(
        [...matchControlTunnels(await frpsAdmin().listTcpProxies())],
        [['node-a', port]],
      );

      // 5. frps dies hard: the supervisor restarts it and frpc reconnects by itself
      let restarted = false;
      frps.onStart(() => (restarted = true));
      const oldPid = frps.pid;
      assert.ok(oldPid);
      process.kill(oldPid, 'SIGKILL');
      const newPort = await eventually(
        'tunnel back after frps restart',
        async () => {
          if (!restarted || frps.pid === oldPid) return undefined;
          return matchControlTunnels(await frpsAdmin().listTcpProxies()).get('node-a');
        },
        30_000,
      );
      const again = await fetch(`http://127.0.0.1:${newPort}/health`);
      assert.equal(await again.text(), 'hello from node-a');
      assert.ok(frpsLog.some((line) => /frps exited .*signal SIGKILL/.test(line)));
    },
  );
});
