// `npm start`'s launcher, as a user runs it: the server and a local agent as two processes; the
// node joins with the launcher's one-use token, comes back after the database is wiped, and
// both processes stop on SIGTERM. Needs the build (scripts/test-all.sh builds first).
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { findFreePort } from '@utopia/frp';

const dataDir = mkdtempSync(join(tmpdir(), 'utopia-start-local-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const PASSWORD = 'start-local-test-password';

async function launch(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, 'start-local.mjs')], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      ...process.env,
      UTOPIA_PORT: String(port),
      UTOPIA_HOST: '127.0.0.1',
      UTOPIA_DATA_DIR: dataDir,
      UTOPIA_ADMIN_PASSWORD: PASSWORD,
      UTOPIA_LOCAL_GPUS: '2',
      UTOPIA_LOG_LEVEL: 'warn',
      UTOPIA_NODE_POLL_INTERVAL_MS: '200',
    },
  });
  child.stderr?.resume();
  return child;
}

async function onlineNodes(
  port: number,
): Promise<{ status: string; gpus: unknown[] }[] | undefined> {
  try {
    const login = await fetch(`http://127.0.0.1:${port}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    if (!login.ok) return undefined;
    const { token } = (await login.json()) as { token: string };
    const res = await fetch(`http://127.0.0.1:${port}/api/nodes`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await res.json()) as { items: { status: string; gpus: unknown[] }[] };
    return body.items;
  } catch {
    return undefined;
  }
}

async function waitForOneOnlineNode(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const nodes = await onlineNodes(port);
    if (nodes?.length === 1 && nodes[0]?.status === 'Online') {
      assert.equal(nodes[0].gpus.length, 2);
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('no Online local node within a minute');
}

async function stop(child: ChildProcess, port: number): Promise<void> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  await exited;
  await assert.rejects(fetch(`http://127.0.0.1:${port}/readyz`), 'the server stopped too');
}

test('the local node joins, rejoins a wiped database, and stops with the launcher', async () => {
  const port = await findFreePort();
  const first = await launch(port);
  await waitForOneOnlineNode(port);
  await stop(first, port);

  // A fresh database: the agent's stored identity is unknown there, so it registers anew.
  for (const f of ['utopia.db', 'utopia.db-wal', 'utopia.db-shm'])
    rmSync(join(dataDir, f), { force: true });
  const second = await launch(port);
  await waitForOneOnlineNode(port);
  await stop(second, port);
});
