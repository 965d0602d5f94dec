import { createServer } from 'node:net';

/**
 * findFreePort is used to pick a TCP port nobody listens on right now, by letting the kernel
 * choose one. Another process may take it before the caller binds it, so callers that can retry
 * (the supervisors restart on failure) should be preferred over ones that cannot.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
