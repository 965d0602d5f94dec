// A deleted node must not keep claims running on its GPUs, on the REAL Docker Engine: the agent
// stops its containers when the server asks (DELETE /api/v1/containers) or says it no longer
// knows the node, and a container left by an earlier identity of the machine still holds GPUs.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UnknownNodeError } from '../registration/registration.client.js';
import { TEST_IMAGE } from '../test-support/docker-env.js';
import { useDockerSuite } from '../test-support/docker-suite.js';
import { FakeServer } from '../test-support/fake-server.js';
import { errorOf, field } from '../test-support/json-field.js';
import type { TestAgent, TestAgentOptions } from '../test-support/test-agent.js';

describe('node deletion on a real Docker Engine', () => {
  const suite = useDockerSuite();
  const claim = (name: string): string => `d${suite.runId}-${name}`;
  const agent = (opts: Partial<TestAgentOptions> = {}): Promise<TestAgent> => suite.agent(opts);

  const run = async (t: TestAgent, name: string, gpuIds: number[]): Promise<string> => {
    const res = await t.call('POST', '/api/v1/containers', {
      body: {
        claim_id: claim(name),
        image: TEST_IMAGE,
        gpu_ids: gpuIds,
        command: ['sleep', '300'],
      },
    });
    assert.equal(res.status, 201, res.text);
    return String(field(res.json, 'container_id'));
  };

  const exists = async (id: string): Promise<boolean> => {
    try {
      await suite.docker.getContainer(id).inspect();
      return true;
    } catch {
      return false;
    }
  };

  test('a container of an earlier identity of this machine still holds its GPU', async () => {
    const machineId = `machine-${suite.runId}-rejoin`;
    const before = await agent({ machineId });
    await run(before, 'old-identity', [0]);
    // The node was deleted and joined again: same machine, same GPUs, a new node id.
    const rejoined = await agent({ machineId });
    assert.notEqual(rejoined.agent.nodeId, before.agent.nodeId);

    const taken = await rejoined.call('POST', '/api/v1/containers', {
      body: { claim_id: claim('twice'), image: TEST_IMAGE, gpu_ids: [0] },
    });
    assert.equal(taken.status, 409, taken.text);
    assert.equal(errorOf(taken.json).reason, 'GPU_UNAVAILABLE');
    assert.match(
      String(field(taken.json, 'error')),
      new RegExp(`GPU 0 \\(claim ${claim('old-identity')} of node ${before.agent.nodeId}\\)`),
    );
    // The original protocol (a count) gets the free GPU, and metrics show GPU 0 busy.
    const counted = await rejoined.call('POST', '/api/v1/containers', {
      body: {
        claim_id: claim('count'),
        image: TEST_IMAGE,
        gpu_count: 1,
        command: ['sleep', '300'],
      },
    });
    assert.equal(counted.status, 201, counted.text);
    const info = await suite.docker
      .getContainer(String(field(counted.json, 'container_id')))
      .inspect();
    assert.equal(info.Config.Labels['utopia.gpu_ids'], '1');
    const metrics = await rejoined.call('GET', '/api/v1/metrics');
    const gpus = field(metrics.json, 'gpus');
    assert.ok(Array.isArray(gpus));
    assert.deepEqual(
      gpus.map((g) => field(g, 'busy')),
      [true, true],
    );

    // Another machine's simulated GPU 0 on the same engine is its own: not held.
    const other = await agent({ machineId: `machine-${suite.runId}-other` });
    await run(other, 'other-machine', [0]);
  });

  test('DELETE /api/v1/containers removes every container of this node, and only those', async () => {
    const node = await agent();
    const neighbour = await agent();
    const mine = [await run(node, 'all-1', [0]), await run(node, 'all-2', [1])];
    const theirs = await run(neighbour, 'all-3', [0]);

    assert.equal((await node.call('DELETE', '/api/v1/containers', { token: 'wrong' })).status, 401);
    const res = await node.call('DELETE', '/api/v1/containers');
    assert.equal(res.status, 200, res.text);
    const removed = field(res.json, 'container_ids');
    assert.ok(Array.isArray(removed));
    assert.deepEqual([...removed].sort(), [...mine].sort());
    for (const id of mine) assert.equal(await exists(id), false);
    assert.equal(await exists(theirs), true);
    assert.deepEqual((await node.call('GET', '/api/v1/containers')).json, []);

    const again = await node.call('DELETE', '/api/v1/containers');
    assert.deepEqual(again.json, { container_ids: [] });
    // A create the server sent just before it deleted the node lands after: it is refused, so
    // nothing outlives the node. The neighbour still takes containers.
    const late = await node.call('POST', '/api/v1/containers', {
      body: { claim_id: claim('all-late'), image: TEST_IMAGE, gpu_ids: [0] },
    });
    assert.equal(late.status, 409, late.text);
    assert.equal(errorOf(late.json).reason, 'NODE_RETIRED');
    assert.deepEqual((await node.call('GET', '/api/v1/containers')).json, []);
    await run(neighbour, 'all-4', [1]);
  });

  test('told it is unknown, the agent removes its containers and stops without registering', async () => {
    const node = await agent();
    const neighbour = await agent();
    const mine = [await run(node, 'gone-1', [0]), await run(node, 'gone-2', [1])];
    const theirs = await run(neighbour, 'gone-3', [0]);
    await node.agent.close(); // containers keep running while the agent is away
    assert.equal(await exists(mine[0] ?? ''), true);

    suite.fake.forget(node.agent.nodeId); // an admin deleted the node meanwhile
    const registrations = suite.fake.calls.filter((c) => c.url === '/api/nodes/register').length;
    await assert.rejects(agent({ dataDir: node.dataDir }), (err: unknown) => {
      assert.ok(err instanceof UnknownNodeError, String(err));
      assert.equal(err.nodeId, node.agent.nodeId);
      assert.match(err.message, /is not known to the server/);
      return true;
    });
    for (const id of mine) assert.equal(await exists(id), false);
    assert.equal(await exists(theirs), true);
    assert.equal(
      suite.fake.calls.filter((c) => c.url === '/api/nodes/register').length,
      registrations,
    );
  });

  test('a server that did not issue the identity cannot make the agent remove its containers', async () => {
    const node = await agent();
    const id = await run(node, 'wrong-server', [0]);
    await node.agent.close();
    const stranger = new FakeServer(); // a wrong --server-url: it knows no node at all
    const strangerUrl = await stranger.listen();
    try {
      await assert.rejects(
        agent({ serverUrl: strangerUrl, dataDir: node.dataDir }),
        (err: unknown) => err instanceof UnknownNodeError && !err.forgotten,
      );
    } finally {
      await stranger.close();
    }
    assert.equal(await exists(id), true);
  });
});
