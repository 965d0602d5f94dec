import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideFrpPluginRequest,
  FRP_CREDENTIAL_META,
  RejectReason,
  type AllowedProxy,
  type FrpPluginLookup,
  type FrpPluginResponse,
} from './frp-plugin.js';

const OPTIONS = { allowPorts: { start: 20000, end: 20999 } };
const CREDENTIALS: Record<string, string> = { 'node-a': 'cred-a', 'node-b': 'cred-b' };
const ALLOWED: Record<string, AllowedProxy[]> = {
  'node-a': [{ name: 'control' }, { name: 'claim-7', remotePort: 20500 }],
  'node-b': [{ name: 'control' }],
};

const lookup: FrpPluginLookup = {
  verifyNodeCredential: async (nodeId, credential) => CREDENTIALS[nodeId] === credential,
  allowedProxies: async (nodeId) => ALLOWED[nodeId] ?? [],
};

const ACCEPT: FrpPluginResponse = { reject: false, unchange: true };
const rejected = (reason: string): FrpPluginResponse => ({ reject: true, reject_reason: reason });

// Bodies as frps sends them (pkg/plugin/server/types.go + pkg/msg/msg.go json tags).
function login(user: string | undefined, credential: string | undefined): unknown {
  return {
    version: '0.1.0',
    op: 'Login',
    content: {
      version: '0.70.1',
      hostname: 'gpu-1',
      os: 'linux',
      arch: 'amd64',
      ...(user !== undefined ? { user } : {}),
      privilege_key: '0123abcd',
      timestamp: 1_764_300_000,
      ...(credential !== undefined ? { metas: { [FRP_CREDENTIAL_META]: credential } } : {}),
      pool_count: 1,
      client_address: '203.0.113.7:51234',
    },
  };
}

function newProxy(user: string, credential: string, extra: Record<string, unknown>): unknown {
  return {
    version: '0.1.0',
    op: 'NewProxy',
    content: {
      user: { user, metas: { [FRP_CREDENTIAL_META]: credential }, run_id: 'r1' },
      proxy_name: `${user}.control`,
      proxy_type: 'tcp',
      ...extra,
    },
  };
}

const decide = (body: unknown) => decideFrpPluginRequest(body, lookup, OPTIONS);

describe('decideFrpPluginRequest: Login', () => {
  it('accepts a known node with its own credential, unchanged', async () => {
    assert.deepEqual(await decide(login('node-a', 'cred-a')), ACCEPT);
  });

  it('rejects another node id with this node credential (right frp token is not enough)', async () => {
    assert.deepEqual(await decide(login('node-b', 'cred-a')), rejected(RejectReason.UnknownNode));
  });

  it('rejects unknown nodes, empty users and missing credentials', async () => {
    for (const body of [
      login('node-z', 'cred-a'),
      login('', 'cred-a'),
      login(undefined, 'cred-a'),
      login('node-a', undefined),
      login('node-a', ''),
    ]) {
      assert.deepEqual(await decide(body), rejected(RejectReason.UnknownNode));
    }
  });
});

describe('decideFrpPluginRequest: NewProxy', () => {
  it('accepts the node own control proxy with a random port (remote_port absent)', async () => {
    assert.deepEqual(await decide(newProxy('node-a', 'cred-a', {})), ACCEPT);
  });

  it('accepts an explicit port inside allowPorts, and a fixed port only where granted', async () => {
    assert.deepEqual(await decide(newProxy('node-a', 'cred-a', { remote_port: 20999 })), ACCEPT);
    const claim = { proxy_name: 'node-a.claim-7', remote_port: 20500 };
    assert.deepEqual(await decide(newProxy('node-a', 'cred-a', claim)), ACCEPT);
    const wrongPort = { proxy_name: 'node-a.claim-7', remote_port: 20501 };
    assert.deepEqual(
      await decide(newProxy('node-a', 'cred-a', wrongPort)),
      rejected(RejectReason.PortNotAllowed),
    );
  });

  it('rejects ports outside allowPorts', async () => {
    for (const remote_port of [22, 19999, 21000, -1, 1.5, '20001']) {
      assert.deepEqual(
        await decide(newProxy('node-a', 'cred-a', { remote_port })),
        rejected(RejectReason.PortNotAllowed),
      );
    }
  });

  it('rejects a proxy named after another node', async () => {
    assert.deepEqual(
      await decide(newProxy('node-a', 'cred-a', { proxy_name: 'node-b.control' })),
      rejected(RejectReason.ProxyNotAllowed),
    );
    // without the dot, "node-a" would be a prefix of "node-ab.control"
    assert.deepEqual(
      await decide(newProxy('node-a', 'cred-a', { proxy_name: 'node-ab.control' })),
      rejected(RejectReason.ProxyNotAllowed),
    );
  });

  it('rejects names the node was not granted, and non-tcp types', async () => {
    assert.deepEqual(
      await decide(newProxy('node-b', 'cred-b', { proxy_name: 'node-b.claim-7' })),
      rejected(RejectReason.ProxyNotAllowed),
    );
    assert.deepEqual(
      await decide(newProxy('node-a', 'cred-a', { proxy_type: 'http' })),
      rejected(RejectReason.ProxyTypeNotAllowed),
    );
  });

  it('re-checks the credential carried in content.user (revoked since login)', async () => {
    assert.deepEqual(
      await decide(newProxy('node-a', 'cred-b', {})),
      rejected(RejectReason.UnknownNode),
    );
  });
});

describe('decideFrpPluginRequest: everything else', () => {
  it('rejects unknown ops and malformed bodies', async () => {
    for (const op of ['Ping', 'NewWorkConn', 'NewUserConn', 'CloseProxy', 'Bogus', undefined]) {
      assert.deepEqual(
        await decide({ version: '0.1.0', op, content: {} }),
        rejected(RejectReason.UnsupportedOp),
      );
    }
    for (const body of [null, 'x', [], { op: 'Login' }, { op: 'Login', content: [] }]) {
      assert.deepEqual(await decide(body), rejected(RejectReason.BadRequest));
    }
  });

  it('rejects (never throws) when the lookup fails', async () => {
    const failing: FrpPluginLookup = {
      verifyNodeCredential: async () => {
        throw new Error('db down');
      },
      allowedProxies: async () => [],
    };
    assert.deepEqual(
      await decideFrpPluginRequest(login('node-a', 'cred-a'), failing, OPTIONS),
      rejected(RejectReason.LookupFailed),
    );
  });

  it('produces exactly the JSON frps decodes', () => {
    assert.equal(JSON.stringify(ACCEPT), '{"reject":false,"unchange":true}');
    assert.equal(JSON.stringify(rejected('x')), '{"reject":true,"reject_reason":"x"}');
  });
});
