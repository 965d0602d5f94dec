// The real agent registering with the real server: first start, second start, bad join tokens,
// and a server that is not up yet.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  RegistrationError,
  silentLogger,
  startAgent,
  validateSettings,
  type RunningAgent,
} from '@utopia/agent';
import { findFreePort } from '@utopia/frp';
import { dockerSocket } from '../testing/cluster.js';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

function agentConfig(serverUrl: string, dataDir: string, joinToken?: string) {
  return validateSettings(
    {
      serverUrl,
      dataDir,
      listen: '127.0.0.1:0',
      simulateGpus: '1',
      containerNetwork: 'none',
      registerRetryBaseMs: '50',
      logLevel: 'silent',
      dockerSocket: dockerSocket(),
      ...(joinToken ? { joinToken } : {}),
    },
    dataDir,
  );
}

for (const dbKind of testDatabases()) {
  describe(`utopia-agent registering with utopia-server (${dbKind})`, () => {
    let t: TestServer;
    let admin: string;
    const running: RunningAgent[] = [];
    const dirs: string[] = [];
    const tempDir = (): string => {
      const dir = mkdtempSync(join(tmpdir(), 'utopia-reg-'));
      dirs.push(dir);
      return dir;
    };
    before(async () => {
      t = await startTestServer(dbKind);
      admin = await t.adminToken();
    });
    after(async () => {
      for (const a of running) await a.close();
      await t.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    async function joinToken(body: object = {}): Promise<{ token: string; id: string }> {
      const res = await t.api('POST', '/api/join-tokens', { token: admin, body });
      return {
        token: String(res.json.token),
        id: String((res.json.joinToken as { id: string }).id),
      };
    }

    test('first start registers and writes a 0600 identity; the second start reuses it', async () => {
      const dir = tempDir();
      const first = await startAgent(agentConfig(t.url, dir, (await joinToken()).token), {
        logger: silentLogger(),
      });
      const file = join(dir, 'agent-identity.json');
      assert.equal(statSync(file).mode & 0o777, 0o600);
      await first.close();
      const second = await startAgent(agentConfig(t.url, dir), { logger: silentLogger() });
      running.push(second);
      assert.equal(second.nodeId, first.nodeId);
      const nodes = (await t.api('GET', '/api/nodes', { token: admin })).json.items as {
        id: string;
      }[];
      assert.equal(nodes.filter((n) => n.id === first.nodeId).length, 1);
    });

    test('a revoked or wrong join token stops the agent with a clear error and no identity', async () => {
      const revoked = await joinToken();
      await t.api('DELETE', `/api/join-tokens/${revoked.id}`, { token: admin });
      for (const token of [revoked.token, 'utj_nope.nope']) {
        const dir = tempDir();
        await assert.rejects(
          startAgent(agentConfig(t.url, dir, token), { logger: silentLogger() }),
          (e: unknown) => e instanceof RegistrationError && /join token/.test(e.message),
        );
        assert.equal(existsSync(join(dir, 'agent-identity.json')), false);
      }
    });

    test('a deleted node: the agent refuses to start instead of registering anew', async () => {
      const dir = tempDir();
      const a = await startAgent(agentConfig(t.url, dir, (await joinToken()).token), {
        logger: silentLogger(),
      });
      await a.close();
      await t.api('DELETE', `/api/nodes/${a.nodeId}`, { token: admin });
      await assert.rejects(
        startAgent(agentConfig(t.url, dir), { logger: silentLogger() }),
        (e: unknown) => e instanceof RegistrationError && /not known to the server/.test(e.message),
      );
    });

    test('the server not up yet: the agent retries until it is', async () => {
      const port = await findFreePort();
      const dir = tempDir();
      const { token } = await joinToken();
      const starting = startAgent(agentConfig(`http://127.0.0.1:${port}`, dir, token), {
        logger: silentLogger(),
      });
      await new Promise((r) => setTimeout(r, 500));
      // A plain proxy to the real server appears on the port the agent keeps trying.
      const { createServer } = await import('node:http');
      const proxy = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          void fetch(`${t.url}${req.url ?? ''}`, {
            method: req.method ?? 'GET',
            headers: {
              'content-type': 'application/json',
              ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
            },
            body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
          }).then(async (r) => {
            res.writeHead(r.status, { 'content-type': 'application/json' });
            res.end(await r.text());
          });
        });
      });
      await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
      try {
        const a = await starting;
        running.push(a);
        assert.ok(a.nodeId);
      } finally {
        proxy.close();
      }
    });
  });
}
