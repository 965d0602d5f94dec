// The real-GPU end-to-end run (docs/real-gpu.md), started by scripts/gpu-e2e.sh: a built
// utopia-server and utopia-agent on this machine, the agent in CDI mode, and claims that must
// show the node's real GPU, a container that sees exactly its GPU and computes on it, a
// container without a GPU that sees none, live utilisation through /api/nodes, and delete
// freeing the GPU. Prints each check, the timings, and writes <work>/result.json.
//
//   node scripts/gpu-e2e.mjs --work DIR --image IMAGE [--dry-run]
//
// --dry-run: on a machine without a GPU (CI). One simulated GPU and a SYNTHETIC CDI spec whose
// "devices" are /dev/null and /dev/zero; every step runs except the ones that need a GPU
// (nvidia-smi -L, the CUDA computation, non-zero utilisation), which are reported as skipped.
import { Buffer } from 'node:buffer';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { clearTimeout } from 'node:timers';

const args = process.argv.slice(2);
const dryRun = args.includes('--dry-run');
const work = resolve(argValue('--work') ?? fail('--work DIR is required'));
const image = argValue('--image') ?? fail('--image IMAGE is required');
const root = resolve(import.meta.dirname, '..');
const dockerHost = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
const nvidiaSmi = process.env.UTOPIA_GPU_E2E_NVIDIA_SMI ?? '/usr/local/nvidia/bin/nvidia-smi';
const driverDir = process.env.UTOPIA_GPU_E2E_DRIVER_DIR ?? '/usr/local/nvidia';
const computeSeconds = Number(process.env.UTOPIA_GPU_E2E_COMPUTE_SECONDS ?? (dryRun ? 3 : 20));
const children = [];
const result = { mode: dryRun ? 'dry-run' : 'gpu', checks: [], timings: {} };

function argValue(name) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function fail(message) {
  throw new Error(message);
}

function check(name, ok, detail = '') {
  result.checks.push({ name, ok, detail });
  process.stdout.write(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? `: ${detail}` : ''}\n`);
  if (!ok) throw new Error(`check failed: ${name}${detail ? `: ${detail}` : ''}`);
}

function skip(name, why) {
  result.checks.push({ name, ok: null, detail: why });
  process.stdout.write(`skip ${name}: ${why}\n`);
}

async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function waitFor(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function call(base, method, path, token, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

function start(name, script, env) {
  const log = join(work, `${name}.log`);
  const child = spawn(process.execPath, [join(root, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks = [];
  child.stdout.on('data', (d) => chunks.push(d));
  child.stderr.on('data', (d) => chunks.push(d));
  child.on('exit', () => writeFileSync(log, Buffer.concat(chunks)));
  children.push(child);
  return child;
}

/** The GPUs as nvidia-smi reports them (real run), with each one's device minor number. */
function realGpus() {
  const out = execFileSync(
    nvidiaSmi,
    ['--query-gpu=index,uuid,name,memory.total', '--format=csv,noheader,nounits'],
    { encoding: 'utf8' },
  );
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const [index, uuid, model, memory] = line.split(',').map((s) => s.trim());
      const q = execFileSync(nvidiaSmi, ['-q', '-i', index], { encoding: 'utf8' });
      const minor = /Minor Number\s*:\s*(\d+)/.exec(q)?.[1] ?? index;
      return {
        index: Number(index),
        uuid,
        model,
        memoryTotalMiB: Number(memory),
        minor: Number(minor),
      };
    });
}

/**
 * writeSpec is used to give the agent a CDI spec. It is WRITTEN BY THIS SCRIPT, not by
 * nvidia-ctk (the machine has no NVIDIA Container Toolkit): for a real run, the device nodes and
 * the driver folder of this machine (docs/real-gpu.md); for the dry run, harmless host nodes.
 */
function writeSpec(dir, gpus) {
  mkdirSync(dir, { recursive: true });
  const devices = gpus.flatMap((g) => {
    const node = dryRun
      ? { path: `/dev/nvidia${g.minor}`, hostPath: '/dev/null' }
      : { path: `/dev/nvidia${g.minor}` };
    const edits = { deviceNodes: [node], env: [`UTOPIA_E2E_CDI_DEVICE=${g.index}`] };
    return [
      { name: String(g.index), containerEdits: edits },
      { name: g.uuid, containerEdits: edits },
    ];
  });
  const control = dryRun
    ? [{ path: '/dev/nvidiactl', hostPath: '/dev/zero' }]
    : ['/dev/nvidiactl', '/dev/nvidia-uvm', '/dev/nvidia-uvm-tools']
        .filter((p) => existsSync(p))
        .map((path) => ({ path }));
  const driver = dryRun ? join(work, 'synthetic-driver') : driverDir;
  if (dryRun) {
    mkdirSync(join(driver, 'lib64'), { recursive: true });
    writeFileSync(join(driver, 'lib64', 'libcuda.so.1'), 'synthetic\n');
  }
  const spec = {
    cdiVersion: '0.5.0',
    kind: 'nvidia.com/gpu',
    annotations: {
      'utopia.dev/written-by': dryRun
        ? 'gpu-e2e.mjs --dry-run (synthetic)'
        : 'gpu-e2e.mjs for this machine',
    },
    devices,
    containerEdits: {
      env: ['NVIDIA_VISIBLE_DEVICES=void', `LD_LIBRARY_PATH=${driverDir}/lib64:${driverDir}/lib`],
      deviceNodes: control,
      mounts: [
        { hostPath: driver, containerPath: driverDir, options: ['ro', 'nosuid', 'nodev', 'rbind'] },
      ],
    },
  };
  writeFileSync(join(dir, 'utopia-gpu-e2e.json'), `${JSON.stringify(spec, null, 2)}\n`);
}

// The claim's program: nvidia-smi -L, then a checked CUDA result, then compute for a while so
// that utilisation can be read back. PyTorch comes with the image (scripts/gpu-e2e.sh imports
// the machine's /opt/torch venv into it).
const TORCH = `
import time, torch
t0 = time.time()
assert torch.cuda.is_available(), "no CUDA device"
a = torch.randn(4096, 4096, device="cuda")
eye = torch.eye(4096, device="cuda")
b = a @ eye
torch.cuda.synchronize()
err = (b - a).abs().max().item()
assert err < 1e-3, f"a @ I differs from a by {err}"
s = (a @ a.T).trace().item()
ref = (a * a).sum().item()
assert abs(s - ref) / abs(ref) < 1e-3, f"trace(a a^T) {s} != sum(a^2) {ref}"
print(f"CUDA_RESULT ok {torch.cuda.get_device_name(0)} {(time.time() - t0) * 1000:.0f}ms", flush=True)
end = time.time() + ${computeSeconds}
while time.time() < end:
    a = a @ eye
torch.cuda.synchronize()
print("CUDA_DONE", flush=True)
`;

function claimCommand() {
  if (dryRun) {
    return [
      'sh',
      '-c',
      `ls /dev | grep nvidia | sed 's/^/dev: /'; ls ${driverDir}/lib64; echo CUDA_RESULT skipped; sleep ${computeSeconds}`,
    ];
  }
  return [
    'sh',
    '-c',
    `ls /dev | grep nvidia | sed 's/^/dev: /'; ${driverDir}/bin/nvidia-smi -L && exec /opt/torch/bin/python -c '${TORCH.replaceAll("'", `'"'"'`)}'`,
  ];
}

async function main() {
  mkdirSync(work, { recursive: true });
  const serverPort = await freePort();
  const server = `http://127.0.0.1:${serverPort}`;
  const password = randomBytes(18).toString('base64url');
  const joinToken = `utj_${randomBytes(12).toString('hex')}.${randomBytes(32).toString('base64url')}`;
  const expected = dryRun ? undefined : realGpus();
  const cdiDir = join(work, 'cdi');
  // The dry run's simulated GPU is found by its index; its UUID is the agent's to choose.
  writeSpec(cdiDir, expected ?? [{ index: 0, uuid: 'GPU-dry-run', minor: 0 }]);

  const serverChild = start('server', 'packages/server/dist/main.js', {
    UTOPIA_HOST: '127.0.0.1',
    UTOPIA_PORT: String(serverPort),
    UTOPIA_DATA_DIR: join(work, 'server'),
    UTOPIA_ADMIN_PASSWORD: password,
    UTOPIA_BOOTSTRAP_JOIN_TOKEN: joinToken,
    UTOPIA_FRP_MODE: 'off',
    UTOPIA_NODE_POLL_INTERVAL_MS: '500',
    UTOPIA_RUNNING_CHECK_MS: '500',
    UTOPIA_LOG_LEVEL: 'warn',
  });
  await waitFor('the server', async () => (await fetch(`${server}/readyz`)).ok);
  const agentData = join(work, 'agent');
  start('agent', 'packages/agent/dist/main.js', {
    UTOPIA_AGENT_SERVER_URL: server,
    UTOPIA_AGENT_JOIN_TOKEN: joinToken,
    UTOPIA_AGENT_DATA_DIR: agentData,
    UTOPIA_AGENT_LISTEN: '127.0.0.1:0',
    UTOPIA_AGENT_TUNNEL: 'direct',
    UTOPIA_AGENT_CONTAINER_NETWORK: 'none',
    UTOPIA_AGENT_DOCKER_SOCKET: dockerHost,
    UTOPIA_AGENT_CDI_SPEC_DIRS: cdiDir,
    UTOPIA_AGENT_LOG_LEVEL: 'info',
    // Simulated GPUs take CDI only when asked; a real node must choose it by itself (auto).
    ...(dryRun
      ? {
          UTOPIA_AGENT_SIMULATE_GPUS: '1',
          UTOPIA_AGENT_SIMULATE_GPU_MODEL: 'NVIDIA H200',
          UTOPIA_AGENT_SIMULATE_GPU_MEMORY_MIB: '143771',
          UTOPIA_AGENT_GPU_INJECTION: 'cdi',
        }
      : { UTOPIA_AGENT_NVIDIA_SMI: nvidiaSmi, UTOPIA_AGENT_GPU_INJECTION: 'auto' }),
  });
  const login = await call(server, 'POST', '/api/auth/login', undefined, {
    username: 'admin',
    password,
  });
  check('admin login', login.status === 200, String(login.status));
  const admin = login.json.token;

  // 1. The node, as the server shows it.
  const node = await waitFor('the node Online with its GPUs', async () => {
    const items = (await call(server, 'GET', '/api/nodes', admin)).json?.items ?? [];
    return items.find((n) => n.status === 'Online' && n.gpus.length > 0 && n.gpuInjection);
  });
  const identity = JSON.parse(readFileSync(join(agentData, 'agent-identity.json'), 'utf8'));
  const agentUrl = node.address;
  const agentToken = identity.agentToken;
  const gpu = node.gpus[0];
  if (expected) {
    const want = expected.map(({ index, uuid, model, memoryTotalMiB }) => ({
      index,
      uuid,
      model,
      memoryTotalMiB,
    }));
    const have = node.gpus.map(({ index, uuid, model, memoryTotalMiB }) => ({
      index,
      uuid,
      model,
      memoryTotalMiB,
    }));
    check(
      'node registered with the GPUs nvidia-smi reports',
      JSON.stringify(want) === JSON.stringify(have),
      JSON.stringify(have),
    );
  } else {
    check(
      'node registered with its (simulated) GPU',
      gpu.model === 'NVIDIA H200' && gpu.memoryTotalMiB === 143771,
      JSON.stringify(gpu),
    );
  }
  check(
    'node says CDI injection, and why',
    node.gpuInjection.mode === 'cdi',
    node.gpuInjection.reason,
  );
  const status = await (await fetch(`${agentUrl}/status`)).json();
  result.cdiHooks = status.cdi_hooks;

  // 2. A 1-GPU claim.
  const created = Date.now();
  const res = await call(server, 'POST', '/api/gpu-claims', admin, {
    name: 'gpu-e2e',
    spec: { image, resources: { gpuCount: 1 }, command: claimCommand(), restartPolicy: 'Never' },
  });
  check(
    'claim accepted',
    res.status === 201 || res.status === 202,
    `${res.status} ${res.text.slice(0, 200)}`,
  );
  const claimId = res.json.id;
  const running = await waitFor(
    'the claim Running',
    async () => {
      const c = (await call(server, 'GET', `/api/gpu-claims/${claimId}`, admin)).json;
      if (c?.status?.phase === 'Failed') throw new Error(`claim failed: ${c.status.message}`);
      return c?.status?.phase === 'Running' ? c : undefined;
    },
    180_000,
  );
  result.timings.createToRunningMs = Date.now() - created;
  check(
    'claim Running on the node',
    running.status.nodeId === node.id,
    `${result.timings.createToRunningMs} ms, GPUs ${running.status.gpuIds}`,
  );
  const assigned = node.gpus.find((g) => g.index === running.status.gpuIds[0]);
  const logs = async () =>
    (
      await call(
        agentUrl,
        'GET',
        `/api/v1/containers/claim:${claimId}/logs?follow=false`,
        agentToken,
      )
    ).text;
  const firstResult = await waitFor(
    'the first CUDA result',
    async () => {
      const text = await logs();
      if (/Error|Traceback|NVML/.test(text) && !/CUDA_RESULT/.test(text)) throw new Error(text);
      return /CUDA_RESULT/.test(text) ? text : undefined;
    },
    300_000,
  );
  result.timings.createToFirstCudaResultMs = Date.now() - created;
  const devLines = firstResult.split('\n').filter((l) => l.startsWith('dev: '));
  check(
    'the container has its GPU node and no other GPU node',
    devLines.some(
      (l) =>
        l ===
        `dev: nvidia${dryRun ? 0 : (expected.find((g) => g.index === assigned.index)?.minor ?? 0)}`,
    ) && devLines.filter((l) => /^dev: nvidia\d+$/.test(l)).length === 1,
    devLines.join(' '),
  );
  if (dryRun) {
    skip('nvidia-smi -L lists exactly the assigned UUID', 'no GPU (dry run)');
    skip('CUDA computation with a checked result', 'no GPU (dry run)');
  } else {
    const listed = firstResult.split('\n').filter((l) => /^GPU \d+: /.test(l));
    check(
      'nvidia-smi -L lists exactly the assigned UUID',
      listed.length === 1 && listed[0].includes(`UUID: ${assigned.uuid}`),
      listed.join(' | '),
    );
    check(
      'CUDA computation with a checked result',
      /CUDA_RESULT ok/.test(firstResult),
      firstResult.split('\n').find((l) => l.startsWith('CUDA_RESULT')),
    );
  }
  result.timings.note =
    'createToFirstCudaResultMs counts from the claim create, image start and the CUDA init included';

  // 3. Live utilisation through /api/nodes while the claim computes.
  const seen = [];
  const until = Date.now() + computeSeconds * 1000 - 1000;
  while (Date.now() < until) {
    const n = (await call(server, 'GET', `/api/nodes/${node.id}`, admin)).json;
    const g = n.gpus.find((x) => x.index === assigned.index);
    seen.push({
      utilizationPercent: g.utilizationPercent,
      memoryUsedMiB: g.memoryUsedMiB,
      claimId: g.claimId,
    });
    if (!dryRun && g.utilizationPercent > 0) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  result.utilisation = seen;
  check(
    'the GPU shows as held by the claim',
    seen.some((s) => s.claimId === claimId),
  );
  if (dryRun) {
    check(
      'utilisation is read back through /api/nodes',
      seen.some((s) => typeof s.utilizationPercent === 'number'),
      JSON.stringify(seen.at(-1)),
    );
  } else {
    check(
      'non-zero utilisation read back through /api/nodes while computing',
      seen.some((s) => s.utilizationPercent > 0),
      JSON.stringify(seen.at(-1)),
    );
  }

  // 4. Delete frees the GPU.
  const deleted = Date.now();
  const del = await call(server, 'DELETE', `/api/gpu-claims/${claimId}`, admin);
  check(
    'claim delete accepted',
    del.status === 200 || del.status === 202 || del.status === 204,
    String(del.status),
  );
  await waitFor(
    'the GPU free and the container gone',
    async () => {
      const n = (await call(server, 'GET', `/api/nodes/${node.id}`, admin)).json;
      const list = (await call(agentUrl, 'GET', '/api/v1/containers', agentToken)).json ?? [];
      return n.gpus.every((g) => g.claimId === null) && !list.some((c) => c.claim_id === claimId);
    },
    60_000,
  );
  result.timings.deleteToFreeMs = Date.now() - deleted;
  check('delete frees the GPU', true, `${result.timings.deleteToFreeMs} ms`);

  // 5. A container without a GPU sees none. A server claim asks for 1 GPU at least, so this asks
  //    the node's agent directly, as the server would; the server is stopped first, or its
  //    orphan sweep would remove a container it does not know before its output is read.
  await stopChild(serverChild);
  const none = await call(agentUrl, 'POST', '/api/v1/containers', agentToken, {
    claim_id: 'gpu-e2e-no-gpu',
    image,
    gpu_ids: [],
    command: [
      'sh',
      '-c',
      `ls /dev | grep nvidia | sed 's/^/dev: /'; ls ${driverDir} >/dev/null 2>&1 && echo driver-visible || echo no-driver; echo END`,
    ],
  });
  check('no-GPU container created', none.status === 201, none.text.slice(0, 200));
  const noneOut = await waitFor('the no-GPU container output', async () => {
    const t = (
      await call(
        agentUrl,
        'GET',
        '/api/v1/containers/claim:gpu-e2e-no-gpu/logs?follow=false',
        agentToken,
      )
    ).text;
    return t.includes('END') ? t : undefined;
  });
  check(
    'a container with no GPU sees no GPU node and no driver',
    !/^dev: /m.test(noneOut) && noneOut.includes('no-driver'),
    noneOut.replaceAll('\n', ' '),
  );
  await call(agentUrl, 'DELETE', '/api/v1/containers/claim:gpu-e2e-no-gpu', agentToken);
}

async function stopChild(c) {
  if (c.exitCode !== null || c.signalCode !== null) return;
  c.kill('SIGTERM');
  await new Promise((r) => {
    const t = setTimeout(() => {
      c.kill('SIGKILL');
      r();
    }, 10_000);
    c.once('exit', () => {
      clearTimeout(t);
      r();
    });
  });
}

async function stopAll() {
  for (const c of [...children].reverse()) await stopChild(c);
}

let code = 0;
try {
  await main();
  result.ok = true;
} catch (err) {
  result.ok = false;
  result.error = err instanceof Error ? err.message : String(err);
  process.stdout.write(`FAILED: ${result.error}\n`);
  code = 1;
} finally {
  await stopAll();
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'result.json'), `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`timings: ${JSON.stringify(result.timings)}\n`);
  if (code !== 0) {
    for (const f of readdirSync(work).filter((n) => n.endsWith('.log'))) {
      process.stdout.write(
        `--- ${f} (last lines)\n${readFileSync(join(work, f), 'utf8').split('\n').slice(-20).join('\n')}\n`,
      );
    }
  }
}
process.exit(code);
