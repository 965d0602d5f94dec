// Logs follow latency end to end: a real server on SQLite, a real in-process agent and the real
// Docker Engine (DOCKER_HOST), in direct mode and through the frp tunnel. A container prints a
// line every 50 ms; the client follows its log with timestamps=true, and each line's latency is
// the time it arrived at the client minus the time Docker recorded it (same machine, same clock).
import { createClaimAs, waitForPhase } from '../src/testing/claims-client.js';
import { AGENT_MODES, startCluster, TEST_IMAGE } from '../src/testing/cluster.js';
import { logsPath } from '../src/testing/logs-client.js';
import { fmt, printTable, stats } from './lib.js';

const SAMPLES = Number(process.env.UTOPIA_BENCH_LOG_LINES ?? 200);
const WARMUP = 10;

/** dockerTimeMs is used to read Docker's RFC 3339 nanosecond prefix as fractional milliseconds. */
function dockerTimeMs(line: string): number {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?Z /.exec(line);
  if (!m) return Number.NaN;
  return Date.parse(`${m[1]}Z`) + Number(`0.${m[2] ?? '0'}`) * 1000;
}

function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(0.99 * sorted.length) - 1)] ?? Number.NaN;
}

async function measure(mode: string, overrides: Record<string, string>): Promise<number[]> {
  const c = await startCluster('sqlite', [1], overrides);
  try {
    const token = (await c.t.createUser('bench')).token;
    const claim = await createClaimAs(c.t, token, {
      spec: {
        image: TEST_IMAGE,
        resources: { gpuCount: 1 },
        command: ['sh', '-c', 'while true; do echo tick; sleep 0.05; done'],
      },
    });
    await waitForPhase(c.t, token, claim.id, 'Running', 60_000);
    const path = logsPath(claim.id, { follow: 'true', timestamps: 'true', tail: '0' });
    const abort = new AbortController();
    const res = await fetch(`${c.t.url}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: abort.signal,
    });
    const reader = res.body?.getReader();
    if (!reader) throw new Error(`logs: ${res.status}`);
    const latencies: number[] = [];
    const decoder = new TextDecoder();
    let pending = '';
    while (latencies.length < SAMPLES + WARMUP) {
      const { done, value } = await reader.read();
      if (done) throw new Error('the log ended');
      const arrived = Date.now();
      pending += decoder.decode(value, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) latencies.push(arrived - dockerTimeMs(line));
    }
    abort.abort();
    console.log(`${mode}: ${latencies.length} lines`);
    return latencies.slice(WARMUP).filter(Number.isFinite);
  } finally {
    await c.close();
  }
}

const rows: string[][] = [];
for (const [mode, overrides] of AGENT_MODES) {
  const sample = await measure(mode, overrides);
  const s = stats(sample);
  rows.push([mode, String(s.n), fmt(s.median), fmt(s.p95), fmt(p99(sample)), fmt(s.max)]);
}
printTable(
  'Logs follow latency: line written in the container → received by the API client (ms)',
  ['mode', 'lines', 'p50', 'p95', 'p99', 'max'],
  rows,
);
