// A TCP load balancer in front of the server replicas, as an operator would run one: it sends each
// connection to a replica whose /readyz answered lately, so a stopped (SIGSTOP) replica, which
// still accepts TCP connections into its backlog, stops getting traffic within a second.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** LoadBalancer is used to give agents, frps and the workload one address for every replica. */
export interface LoadBalancer {
  readonly port: number;
  close(): Promise<void>;
}

const HEALTH_POLL_MS = 500;
const HEALTH_TIMEOUT_MS = 800;

async function isReady(port: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, {
      signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** startLoadBalancer is used to listen on a free loopback port in front of backendPorts(). */
export async function startLoadBalancer(
  backendPorts: () => readonly number[],
): Promise<LoadBalancer> {
  const healthy = new Set<number>();
  let next = 0;
  let closed = false;
  const poll = async (): Promise<void> => {
    while (!closed) {
      await Promise.all(
        backendPorts().map(async (p) => ((await isReady(p)) ? healthy.add(p) : healthy.delete(p))),
      );
      await new Promise((r) => setTimeout(r, HEALTH_POLL_MS));
    }
  };
  void poll();
  const sockets = new Set<Socket>();
  const pipeTo = (client: Socket, candidates: number[]): void => {
    const port = candidates.shift();
    if (port === undefined || client.destroyed) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: '127.0.0.1', port });
    sockets.add(upstream);
    upstream.once('connect', () => {
      client.pipe(upstream).pipe(client);
      client.resume();
    });
    upstream.once('error', () => {
      // Not yet connected: try the next replica; connected: the client sees a reset.
      if (upstream.connecting) pipeTo(client, candidates);
      else client.destroy();
    });
    upstream.once('close', () => {
      sockets.delete(upstream);
      client.destroy();
    });
  };
  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    sockets.add(client);
    client.once('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const all = [...backendPorts()];
    const up = all.filter((p) => healthy.has(p));
    const pool = up.length > 0 ? up : all;
    const start = next++ % Math.max(1, pool.length);
    pipeTo(client, [...pool.slice(start), ...pool.slice(0, start)]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no load balancer port');
  return {
    port: address.port,
    async close() {
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
