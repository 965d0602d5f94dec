import type { Duplex } from 'node:stream';
import type { AppContext } from '../context.js';
import { createProxyServer } from './proxy-server.js';

/** ProxyListener is used to stop the proxy's listener with the server. */
export interface ProxyListener {
  url: string;
  close(): Promise<void>;
}

/**
 * startProxy is used at start when proxyListen is set: it binds the proxy's own listener and,
 * without a proxyPublicUrl, takes the bound address as the URL users are sent to.
 */
export async function startProxy(ctx: AppContext): Promise<ProxyListener | undefined> {
  const config = ctx.config.proxy;
  const state = ctx.proxy;
  if (config === undefined || state === undefined) return undefined;
  const secure = config.publicUrl?.startsWith('https://') ?? false;
  const server = createProxyServer(ctx, state.cookieKey, secure);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  // Upgraded sockets are no longer the HTTP server's: closeAllConnections does not see them.
  const upgraded = new Set<Duplex>();
  server.on('upgrade', (_req, socket: Duplex) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  state.publicUrl = config.publicUrl ?? url;
  return {
    url,
    async close() {
      // Proxied streams (a notebook's kernel socket) never end by themselves.
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
