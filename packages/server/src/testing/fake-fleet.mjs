// A fleet of fake node agents in one child process (so its CPU is not counted as the server's):
// one HTTP server answering the agent API under /n/<nodeId>/…, keeping each node's containers
// in memory. It also counts any GPU handed to two live containers of one node, and posts claim
// bursts to the server on request (IPC), so the client's CPU is not the server's either.
import { Buffer } from 'node:buffer';
import http from 'node:http';

const GPUS = Number(process.env.FLEET_GPUS ?? 8);
/** nodeId → claimId → container info */
const nodes = new Map();
let doubleBooked = 0;
let creates = 0;
let metricsAnswers = 0;
// FLEET_MOVING_FIGURES=1: GPU figures change on every answer, as real nvidia-smi readings do.
const MOVING = process.env.FLEET_MOVING_FIGURES === '1';

function containersOf(nodeId) {
  let m = nodes.get(nodeId);
  if (!m) nodes.set(nodeId, (m = new Map()));
  return m;
}

function info(c) {
  return {
    id: c.id,
    claim_id: c.claim_id,
    image: c.image,
    status: 'running',
    gpu_ids: c.gpu_ids,
    ports: {},
    created: c.created,
    started: c.created,
    labels: {},
    exit_code: null,
    finished: null,
    error: null,
  };
}

function metrics(nodeId) {
  metricsAnswers++;
  const tick = MOVING ? metricsAnswers : 0;
  const gpus = Array.from({ length: GPUS }, (_, id) => ({
    id,
    temperature_c: 40 + (tick % 7),
    memory_total_mb: 143771,
    memory_used_mb: (tick * 13) % 1000,
    name: 'NVIDIA H200',
    uuid: `GPU-${nodeId}-${id}`,
    busy: false,
    usage_percent: tick % 100,
  }));
  return {
    node_id: nodeId,
    cpu_usage_percent: 1,
    memory_usage_percent: 1,
    gpus,
    system: {
      cpu_usage_percent: 1,
      memory_usage_percent: 1,
      memory_total_mb: 1,
      memory_used_mb: 1,
      disk_usage_percent: 1,
      load_average: [0, 0, 0],
      uptime: 1,
    },
  };
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

function findContainer(m, id) {
  if (id.startsWith('claim:')) return m.get(id.slice(6));
  for (const c of m.values()) if (c.id === id) return c;
  return undefined;
}

function create(nodeId, m, req, res) {
  const existing = m.get(req.claim_id);
  if (existing) return send(res, 200, { container_id: existing.id });
  const used = new Set([...m.values()].flatMap((c) => c.gpu_ids));
  if (req.gpu_ids.some((g) => used.has(g))) doubleBooked++;
  creates++;
  const c = {
    id: `c-${nodeId}-${req.claim_id}`,
    claim_id: req.claim_id,
    image: req.image,
    gpu_ids: req.gpu_ids,
    created: Math.floor(Date.now() / 1000),
  };
  m.set(req.claim_id, c);
  send(res, 201, { container_id: c.id });
}

function route(req, res, body) {
  const m = /^\/n\/([^/]+)\/api\/v1\/(metrics|containers)(?:\/([^/?]+))?(?:\?.*)?$/.exec(req.url);
  if (!m) return send(res, 404, { error: 'not found' });
  const [, nodeId, what, id] = m;
  if (what === 'metrics') return send(res, 200, metrics(nodeId));
  const cs = containersOf(nodeId);
  if (id === undefined) {
    if (req.method === 'GET') return send(res, 200, [...cs.values()].map(info));
    if (req.method === 'POST') return create(nodeId, cs, JSON.parse(body), res);
    if (req.method === 'DELETE') {
      const ids = [...cs.values()].map((c) => c.id);
      cs.clear();
      return send(res, 200, { container_ids: ids });
    }
  }
  const c = findContainer(cs, decodeURIComponent(id ?? ''));
  if (req.method === 'GET')
    return c ? send(res, 200, info(c)) : send(res, 404, { error: 'no such container' });
  if (req.method === 'DELETE') {
    if (c) cs.delete(c.claim_id);
    return send(res, 204);
  }
  send(res, 405, { error: 'method' });
}

async function postBurst({ url, token, count, concurrency, body }) {
  let next = 0;
  let failed = 0;
  const started = Date.now();
  async function worker() {
    while (next < count) {
      next++;
      const r = await fetch(`${url}/api/gpu-claims`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).catch(() => undefined);
      if (!r || r.status !== 201) failed++;
      await r?.arrayBuffer();
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { failed, ms: Date.now() - started };
}

// A seeded PRNG (mulberry32, as src/testing/random.ts), so a churn run deletes the same claims.
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * load is used for steady and churn runs: `count` POSTs, either as fast as `concurrency` allows
 * or started at a fixed `ratePerSecond` (open loop: a slow answer does not slow the next POST,
 * up to `concurrency` in flight), and after each acknowledged claim, with probability
 * `deleteShare`, a DELETE of a random live acknowledged claim a little later. It reports which
 * claims the server acknowledged (201) and which deletions it accepted (202), so the caller can
 * check that none was lost.
 */
async function load({ url, token, count, concurrency, ratePerSecond, deleteShare, seed, body }) {
  const rand = prng(seed);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const acknowledged = [];
  const live = [];
  const deleted = [];
  const refusedByStatus = {};
  const failedBy = {};
  let failed = 0;
  let deleteFailures = 0;
  let inFlight = 0;
  const pending = new Set();
  const track = (p) => {
    pending.add(p);
    p.finally(() => pending.delete(p));
  };
  const remove = async () => {
    const i = Math.floor(rand() * live.length);
    const id = live[i];
    if (id === undefined) return;
    live[i] = live[live.length - 1];
    live.pop();
    await new Promise((r) => setTimeout(r, Math.floor(rand() * 200)));
    const r = await fetch(`${url}/api/gpu-claims/${id}`, {
      method: 'DELETE',
      headers: { authorization: headers.authorization },
    }).catch(() => undefined);
    if (r?.status === 202) deleted.push(id);
    else deleteFailures++;
    await r?.arrayBuffer();
  };
  const post = async () => {
    inFlight++;
    const r = await fetch(`${url}/api/gpu-claims`, {
      method: 'POST',
      headers,
      body: JSON.stringify(body),
    }).catch((e) => {
      // Why a POST got no answer (e.g. UND_ERR_CONNECT_TIMEOUT: the server did not accept).
      const cause = e?.cause?.code ?? e?.cause?.name ?? e?.name ?? 'unknown';
      failedBy[cause] = (failedBy[cause] ?? 0) + 1;
      return undefined;
    });
    inFlight--;
    if (r?.status === 201) {
      const claim = await r.json();
      acknowledged.push(claim.id);
      live.push(claim.id);
      if (rand() < deleteShare) track(remove());
      return;
    }
    if (r && (r.status === 429 || r.status === 503))
      refusedByStatus[r.status] = (refusedByStatus[r.status] ?? 0) + 1;
    else {
      failed++;
      if (r) failedBy[`HTTP ${r.status}`] = (failedBy[`HTTP ${r.status}`] ?? 0) + 1;
    }
    await r?.arrayBuffer();
  };
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    if (ratePerSecond > 0) {
      const due = started + (i * 1000) / ratePerSecond;
      const wait = due - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    while (inFlight >= concurrency) await new Promise((r) => setTimeout(r, 1));
    track(post());
  }
  while (pending.size > 0) await Promise.all([...pending]);
  return {
    acknowledged,
    deleted,
    refused: refusedByStatus,
    failed,
    failedBy,
    deleteFailures,
    ms: Date.now() - started,
  };
}

/** holdings is used to tell, per live container, its node, claim and GPUs: the agents' view. */
function holdings() {
  const out = [];
  for (const [nodeId, m] of nodes)
    for (const c of m.values()) out.push({ nodeId, claimId: c.claim_id, gpuIds: c.gpu_ids });
  return out;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => route(req, res, Buffer.concat(chunks).toString()));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ kind: 'port', port: server.address().port }));
process.on('message', (msg) => {
  if (msg.kind === 'stats') process.send({ kind: 'stats', doubleBooked, creates, metricsAnswers });
  if (msg.kind === 'post') postBurst(msg).then((r) => process.send({ kind: 'posted', ...r }));
  if (msg.kind === 'load') load(msg).then((r) => process.send({ kind: 'loaded', ...r }));
  if (msg.kind === 'seed') {
    const at = Math.floor(Date.now() / 1000);
    for (const h of msg.holdings)
      containersOf(h.nodeId).set(h.claimId, {
        id: `c-${h.nodeId}-${h.claimId}`,
        claim_id: h.claimId,
        image: 'fleet:latest',
        gpu_ids: h.gpuIds,
        created: at,
      });
    process.send({ kind: 'seeded', containers: msg.holdings.length });
  }
  if (msg.kind === 'holdings') process.send({ kind: 'holdings', holdings: holdings() });
});
process.on('disconnect', () => process.exit(0));
