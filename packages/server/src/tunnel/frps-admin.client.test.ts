import assert from 'node:assert/strict';
import { createServer, type RequestListener } from 'node:http';
import { describe, it } from 'node:test';
import {
  createFrpsAdminClient,
  FrpsAdminError,
  matchControlTunnels,
  parseProxyList,
  type FrpsProxyInfo,
} from './frps-admin.client.js';

// One element as frps v0.70.1 returns it from GET /api/proxy/tcp (server/http/model/types.go).
const ONLINE = {
  name: 'node-a.control',
  conf: {
    name: 'node-a.control',
    type: 'tcp',
    transport: { bandwidthLimit: '', bandwidthLimitMode: 'client' },
    loadBalancer: { group: '' },
    healthCheck: { type: '', intervalSeconds: 0 },
    localIP: '127.0.0.1',
    plugin: null,
    remotePort: 20017,
  },
  user: 'node-a',
  clientID: 'b0a1c2d3',
  todayTrafficIn: 10,
  todayTrafficOut: 20,
  curConns: 1,
  lastStartTime: '11-28 02:40:00',
  lastCloseTime: '',
  status: 'online',
  somethingNew: { nested: true },
};
const OFFLINE = {
  ...ONLINE,
  name: 'node-b.control',
  user: 'node-b',
  conf: null,
  status: 'offline',
};

async function serve(handler: RequestListener): Promise<{ url: string; close: () => void }> {
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe('parseProxyList', () => {
  it('reads the fields discovery needs and ignores the rest', () => {
    assert.deepEqual(parseProxyList({ proxies: [ONLINE, OFFLINE, { bogus: 1 }, 'x'] }), [
      {
        name: 'node-a.control',
        user: 'node-a',
        clientId: 'b0a1c2d3',
        status: 'online',
        remotePort: 20017,
        curConns: 1,
        lastStartTime: '11-28 02:40:00',
        lastCloseTime: '',
      },
      {
        name: 'node-b.control',
        user: 'node-b',
        clientId: 'b0a1c2d3',
        status: 'offline',
        curConns: 1,
        lastStartTime: '11-28 02:40:00',
        lastCloseTime: '',
      },
    ]);
  });

  it('accepts an empty or null list and rejects other shapes', () => {
    assert.deepEqual(parseProxyList({ proxies: [] }), []);
    assert.deepEqual(parseProxyList({ proxies: null }), []);
    assert.throws(() => parseProxyList([]), FrpsAdminError);
    assert.throws(() => parseProxyList({ proxies: {} }), FrpsAdminError);
  });
});

describe('matchControlTunnels', () => {
  const p = (over: Partial<FrpsProxyInfo>): FrpsProxyInfo => ({
    name: 'n.control',
    status: 'online',
    remotePort: 20000,
    curConns: 0,
    lastStartTime: '',
    lastCloseTime: '',
    ...over,
  });

  it('maps online <nodeId>.control proxies to their port', () => {
    const map = matchControlTunnels([
      p({ name: 'node-a.control', user: 'node-a', remotePort: 20001 }),
      p({ name: 'node.with.dots.control', remotePort: 20002 }), // old frps: no user field
      p({ name: 'node-b.control', status: 'offline' }),
      p({ name: 'node-c.control', remotePort: undefined }),
      p({ name: 'node-d.claim-1', remotePort: 20003 }),
      p({ name: 'node-e.control', user: 'node-x', remotePort: 20004 }), // prefix ≠ user
      p({ name: '.control', remotePort: 20005 }),
    ]);
    assert.deepEqual(
      [...map],
      [
        ['node-a', 20001],
        ['node.with.dots', 20002],
      ],
    );
  });
});

describe('createFrpsAdminClient', () => {
  it('sends Basic auth to /api/proxy/tcp and parses the answer', async () => {
    let seen = { url: '', auth: '' };
    const srv = await serve((req, res) => {
      seen = { url: req.url ?? '', auth: req.headers.authorization ?? '' };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ proxies: [ONLINE] }));
    });
    try {
      const client = createFrpsAdminClient({ baseUrl: `${srv.url}/`, user: 'u', password: 'p' });
      const proxies = await client.listTcpProxies();
      assert.equal(seen.url, '/api/proxy/tcp');
      assert.equal(seen.auth, `Basic ${Buffer.from('u:p').toString('base64')}`);
      assert.deepEqual([...matchControlTunnels(proxies)], [['node-a', 20017]]);
    } finally {
      srv.close();
    }
  });

  it('reports 401, bad JSON and timeouts as FrpsAdminError', async () => {
    const srv = await serve((req, res) => {
      if (req.headers.authorization?.endsWith(Buffer.from('u:bad').toString('base64'))) {
        res.statusCode = 401;
        res.end();
      } else if (req.headers.authorization?.endsWith(Buffer.from('u:json').toString('base64'))) {
        res.end('not json');
      } // else: never answer, the client's timeout must fire
    });
    try {
      const make = (password: string) =>
        createFrpsAdminClient({ baseUrl: srv.url, user: 'u', password, timeoutMs: 200 });
      await assert.rejects(make('bad').listTcpProxies(), (e: unknown) => {
        return e instanceof FrpsAdminError && e.status === 401;
      });
      await assert.rejects(make('json').listTcpProxies(), FrpsAdminError);
      await assert.rejects(make('hang').listTcpProxies(), FrpsAdminError);
    } finally {
      srv.close();
    }
  });
});
