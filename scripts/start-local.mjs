// `npm start`: utopia-server on its embedded defaults plus one local utopia-agent with simulated
// GPUs, as two child processes, so a fresh install has somewhere to run claims. The server knows
// nothing of the agent: the launcher makes a one-use join token, hands it to both, and the agent
// registers like any other node.
//   node scripts/start-local.mjs [server flags...]      UTOPIA_LOCAL_GPUS (default 4)
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const serverArgs = process.argv.slice(2);
const gpus = process.env.UTOPIA_LOCAL_GPUS ?? '4';
const port = flagValue('--port') ?? process.env.UTOPIA_PORT ?? '8080';
const dataDir = resolve(flagValue('--data-dir') ?? process.env.UTOPIA_DATA_DIR ?? 'data');
const agentDataDir = join(dataDir, 'local-node');
const serverUrl = `http://127.0.0.1:${port}`;
const joinToken = `utj_${randomBytes(12).toString('hex')}.${randomBytes(32).toString('base64url')}`;

function flagValue(name) {
  const i = serverArgs.indexOf(name);
  if (i >= 0) return serverArgs[i + 1];
  const eq = serverArgs.find((a) => a.startsWith(`${name}=`));
  return eq?.slice(name.length + 1);
}

const log = (msg) => process.stderr.write(`start-local: ${msg}\n`);

const server = spawn(
  process.execPath,
  [join(root, 'packages/server/dist/main.js'), ...serverArgs],
  {
    stdio: 'inherit',
    env: {
      // The proxy to claims' ports (the UI's "Open" buttons) on a port of its own, loopback only.
      UTOPIA_PROXY_LISTEN: flagValue('--proxy-listen') ? undefined : '127.0.0.1:0',
      ...process.env,
      UTOPIA_BOOTSTRAP_JOIN_TOKEN: joinToken,
    },
  },
);
let agent;
let stopping = false;

server.on('exit', (code, signal) => {
  if (!stopping) log(`utopia-server exited (${signal ?? code}); stopping the local node`);
  stopping = true;
  agent?.kill('SIGTERM');
  process.exitCode = code ?? 1;
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    stopping = true;
    agent?.kill('SIGTERM');
    server.kill('SIGTERM');
  });
}

async function waitForServer() {
  for (let i = 0; i < 600 && !stopping; i++) {
    try {
      const res = await fetch(`${serverUrl}/readyz`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function startAgent(retried) {
  const started = Date.now();
  agent = spawn(process.execPath, [join(root, 'packages/agent/dist/main.js')], {
    stdio: 'inherit',
    env: {
      ...process.env,
      UTOPIA_AGENT_SERVER_URL: serverUrl,
      UTOPIA_AGENT_JOIN_TOKEN: joinToken,
      UTOPIA_AGENT_DATA_DIR: agentDataDir,
      UTOPIA_AGENT_LISTEN: '127.0.0.1:0',
      UTOPIA_AGENT_TUNNEL: 'direct',
      UTOPIA_AGENT_SIMULATE_GPUS: gpus,
      UTOPIA_AGENT_CONTAINER_NETWORK: 'none',
      // It answers the server's polls every few seconds: keep its request log quiet.
      UTOPIA_AGENT_LOG_LEVEL: process.env.UTOPIA_AGENT_LOG_LEVEL ?? 'warn',
    },
  });
  agent.on('exit', (code) => {
    if (stopping) return;
    const identity = join(agentDataDir, 'agent-identity.json');
    // Our own node, known to an older database: forget the stale identity and join again, once.
    if (code === 1 && !retried && Date.now() - started < 30_000 && existsSync(identity)) {
      log('the local node was refused with its old identity; registering it again');
      rmSync(identity, { force: true });
      startAgent(true);
      return;
    }
    log(`the local node exited (${code}); the server keeps running without it`);
  });
}

if (await waitForServer()) {
  log(`local node with ${gpus} simulated GPUs joining ${serverUrl}`);
  log(`web UI: ${serverUrl}/ (sign in as admin; API docs at ${serverUrl}/docs)`);
  startAgent(false);
} else if (!stopping) {
  log(`utopia-server did not answer ${serverUrl}/readyz within a minute`);
}
