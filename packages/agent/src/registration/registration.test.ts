import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeServer } from '../test-support/fake-server.js';
import { tempDir } from '../test-support/temp-dir.js';
import { silentLogger } from '../logger.js';
import { readIdentity } from './identity-store.js';
import {
  ensureRegistered,
  RegistrationError,
  UnknownNodeError,
  type RegistrationOptions,
} from './registration.client.js';

function options(
  serverUrl: string,
  dir: string,
  extra: Partial<RegistrationOptions> = {},
): RegistrationOptions {
  return {
    serverUrl,
    joinToken: 'join-ok',
    identityFile: join(dir, 'state', 'agent-identity.json'),
    hostname: 'gpu-01',
    machineId: 'abc123',
    agentVersion: '0.1.0',
    address: 'http://127.0.0.1:9200',
    gpus: [{ index: 0, uuid: 'GPU-1', model: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920 }],
    retryBaseMs: 5,
    retryCapMs: 20,
    logger: silentLogger(),
    ...extra,
  };
}

test('first start registers and writes the identity file with mode 0600 in a 0700 directory', async (t) => {
  const fake = new FakeServer();
  const url = await fake.listen();
  t.after(() => fake.close());
  const dir = tempDir(t, 'agent-reg-');

  const result = await ensureRegistered(options(url, dir));

  assert.equal(result.registered, true);
  assert.equal(result.identity.nodeId, 'node-1');
  assert.equal(fake.calls.length, 1);
  assert.deepEqual(fake.calls[0]?.body, {
    joinToken: 'join-ok',
    hostname: 'gpu-01',
    machineId: 'abc123',
    agentVersion: '0.1.0',
    address: 'http://127.0.0.1:9200',
    gpus: [{ index: 0, uuid: 'GPU-1', model: 'NVIDIA A100-SXM4-80GB', memoryTotalMiB: 81920 }],
  });
  const file = join(dir, 'state', 'agent-identity.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'state')).mode & 0o777, 0o700);
  assert.deepEqual(await readIdentity(file), {
    nodeId: 'node-1',
    credential: 'cred-node-1',
    agentToken: 'agent-node-1',
    serverUrl: url,
  });
});

test('second start reuses the identity: PUT /api/nodes/self with the credential, no register call', async (t) => {
  const fake = new FakeServer();
  const url = await fake.listen();
  t.after(() => fake.close());
  const dir = tempDir(t, 'agent-reg-');
  await ensureRegistered(options(url, dir));

  const again = await ensureRegistered(options(url, dir, { joinToken: undefined }));

  assert.equal(again.registered, false);
  assert.equal(again.identity.nodeId, 'node-1');
  assert.deepEqual(
    fake.calls.map((c) => `${c.method} ${c.url}`),
    ['POST /api/nodes/register', 'PUT /api/nodes/self'],
  );
  assert.equal(fake.calls[1]?.authorization, 'Bearer cred-node-1');
  assert.deepEqual(Object.keys(fake.calls[1]?.body ?? {}).sort(), [
    'address',
    'agentVersion',
    'gpus',
    'hostname',
  ]);
});

test('a wrong, expired or revoked join token stops with a clear error and no retry', async (t) => {
  const fake = new FakeServer();
  const url = await fake.listen();
  t.after(() => fake.close());
  const dir = tempDir(t, 'agent-reg-');

  await assert.rejects(
    ensureRegistered(options(url, dir, { joinToken: 'nope' })),
    (err: unknown) => {
      assert.ok(err instanceof RegistrationError);
      assert.match(err.message, /refused the join token.*JOIN_TOKEN_INVALID.*new one/);
      return true;
    },
  );
  assert.equal(fake.calls.length, 1);
  assert.equal(await readIdentity(join(dir, 'state', 'agent-identity.json')), undefined);
});

test('an identity unknown to the server stops with a clear error and never re-registers', async (t) => {
  const fake = new FakeServer();
  const url = await fake.listen();
  t.after(() => fake.close());
  const dir = tempDir(t, 'agent-reg-');
  await ensureRegistered(options(url, dir));
  fake.knownCredentials.clear(); // the server's database was reset

  await assert.rejects(ensureRegistered(options(url, dir)), (err: unknown) => {
    assert.ok(err instanceof UnknownNodeError);
    assert.deepEqual(
      { nodeId: err.nodeId, forgotten: err.forgotten },
      { nodeId: 'node-1', forgotten: true },
    );
    assert.match(err.message, /identity \(id node-1\) is not known to the server/);
    assert.match(err.message, /NODE_CREDENTIAL_INVALID/);
    assert.match(err.message, /remove .*agent-identity\.json and give a new join token/);
    return true;
  });
  assert.deepEqual(
    fake.calls.map((c) => c.method),
    ['POST', 'PUT'],
  );
});

test('no identity and no join token is a clear error', async (t) => {
  const dir = tempDir(t, 'agent-reg-');
  await assert.rejects(
    ensureRegistered(options('http://127.0.0.1:9', dir, { joinToken: undefined })),
    /no identity file at .* and no join token/,
  );
});

test('a corrupt identity file is reported, not silently replaced', async (t) => {
  const dir = tempDir(t, 'agent-reg-');
  const file = join(dir, 'id.json');
  writeFileSync(file, '{"nodeId": 1}');
  await assert.rejects(
    ensureRegistered(options('http://127.0.0.1:9', dir, { identityFile: file })),
    /lacks nodeId/,
  );
});

test('server down at first, then 503, then up: retries with backoff and succeeds', async (t) => {
  // 1. Reserve a port, then free it so that the first attempts find nothing listening.
  const probe = new FakeServer();
  const url = await probe.listen();
  const port = Number(new URL(url).port);
  await probe.close();
  const dir = tempDir(t, 'agent-reg-');
  const fake = new FakeServer();
  fake.failNext = 2;
  t.after(() => fake.close());

  // 2. Start registering; bring the server up a little later.
  const pending = ensureRegistered(options(url, dir));
  await new Promise((r) => setTimeout(r, 60));
  await fake.listen(port);

  // 3. Two 503s are retried too, then the registration goes through.
  const result = await pending;
  assert.equal(result.identity.nodeId, 'node-1');
  assert.equal(fake.calls.length, 3);
});
