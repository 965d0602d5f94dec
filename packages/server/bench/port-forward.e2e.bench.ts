// Port-forward throughput, end to end: a real server on SQLite, a real in-process agent and the
// real Docker Engine (DOCKER_HOST). A container sends 64 MiB from /dev/zero over one TCP
// connection; the client reads it through GET /api/gpu-claims/:id/port-forward, with the agent
// reached directly and through the frp tunnel. The baseline, measured in the same run on the same
// machine, is a plain TCP copy of as many bytes over loopback (Node server → Node client).
//
//   MiB/s = bytes / (first byte asked → WebSocket closed), median of the runs.
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { AGENT_MODES, startCluster, TEST_IMAGE } from '../src/testing/cluster.js';
import { createClaimAs, waitForPhase } from '../src/testing/claims-client.js';
import { openPortForward, readUntilClose } from '../src/testing/port-forward-client.js';
import { fmt, msSince, nowNs, printTable, stats } from './lib.js';

const MIB = 1024 * 1024;
const BYTES = Number(process.env.UTOPIA_BENCH_PF_MIB ?? 64) * MIB;
const RUNS = Number(process.env.UTOPIA_BENCH_PF_RUNS ?? 5);
const SOURCE_PORT = 7000;

/** tcpBaseline is used to time a plain loopback TCP copy of BYTES, as the ceiling to compare with. */
async function tcpBaseline(): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024);
  const server = createServer((socket) => {
    let left = BYTES;
    const write = (): void => {
      while (left > 0) {
        left -= chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', write);
      }
      socket.end();
    };
    write();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('baseline did not bind');
  const port = address.port;
  const start = nowNs();
  const client = connect(port, '127.0.0.1');
  let got = 0;
  client.on('data', (b: Buffer) => (got += b.length));
  await once(client, 'close');
  const ms = msSince(start);
  server.close();
  if (got !== BYTES) throw new Error(`baseline read ${got} of ${BYTES} bytes`);
  return BYTES / MIB / (ms / 1000);
}

const rows: string[][] = [];
const baseline: number[] = [];
for (let i = 0; i < RUNS; i++) baseline.push(await tcpBaseline());
const b = stats(baseline);
rows.push(['loopback TCP (baseline)', fmt(b.median, 0), fmt(b.min, 0), fmt(b.max, 0), '100%']);

for (const [mode, overrides] of AGENT_MODES) {
  const c = await startCluster('sqlite', [1], overrides);
  try {
    const alice = (await c.t.createUser('alice')).token;
    const script = `busybox nc -ll -p ${SOURCE_PORT} -e head -c ${BYTES} /dev/zero`;
    const claim = await createClaimAs(c.t, alice, {
      spec: { image: TEST_IMAGE, resources: { gpuCount: 1 }, command: ['sh', '-c', script] },
    });
    await waitForPhase(c.t, alice, claim.id, 'Running', 60_000);
    const speeds: number[] = [];
    // One warm-up connection, not counted.
    for (let i = 0; i <= RUNS; i++) {
      const start = nowNs();
      const ws = await openPortForward(c.t, alice, claim.id, SOURCE_PORT);
      const end = await readUntilClose(ws);
      const ms = msSince(start);
      if (end.data.length !== BYTES)
        throw new Error(`${mode}: read ${end.data.length} of ${BYTES} bytes (close ${end.code})`);
      if (i > 0) speeds.push(BYTES / MIB / (ms / 1000));
    }
    const s = stats(speeds);
    rows.push([
      `port-forward, ${mode}`,
      fmt(s.median, 0),
      fmt(s.min, 0),
      fmt(s.max, 0),
      `${fmt((s.median / b.median) * 100, 0)}%`,
    ]);
  } finally {
    await c.close();
  }
}

printTable(
  `Port-forward throughput, ${BYTES / MIB} MiB per connection, ${RUNS} runs (MiB/s)`,
  ['path', 'median', 'min', 'max', 'of baseline'],
  rows,
);
