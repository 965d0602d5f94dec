// Against the REAL Docker Engine (DOCKER_HOST, or a private dockerd started by
// scripts/services/dockerd.sh). If Docker cannot be had, these tests fail; they never skip.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { GpuDevice } from '../gpu/gpu-backend.js';
import { SimulatedGpuBackend } from '../gpu/simulated.backend.js';
import { TEST_IMAGE } from '../test-support/docker-env.js';
import { RUN_LABEL, useDockerSuite } from '../test-support/docker-suite.js';
import { DockerRuntime } from './docker.runtime.js';
import type { TestAgent } from '../test-support/test-agent.js';

interface ContainerInfoJson {
  id: string;
  claim_id: string;
  status: string;
  gpu_ids: number[];
  exit_code: number | null;
  finished: number | null;
}

function body<T>(json: unknown): T {
  return json as T;
}

describe('agent on a real Docker Engine', () => {
  let a: TestAgent;
  const suite = useDockerSuite(async (s) => {
    a = await s.agent({ simulateGpus: 6 });
  });
  const claim = (name: string): string => `t${suite.runId}-${name}`;

  const create = (
    claimId: string,
    extra: Record<string, unknown> = {},
  ): ReturnType<TestAgent['call']> =>
    a.call('POST', '/api/v1/containers', {
      body: { claim_id: claimId, image: TEST_IMAGE, command: ['sleep', '300'], ...extra },
    });

  test('create with the same claim id twice gives one container (201, then 200)', async () => {
    const first = await create(claim('twice'), { gpu_ids: [0] });
    assert.equal(first.status, 201, first.text);
    const second = await create(claim('twice'), { gpu_ids: [0] });
    assert.equal(second.status, 200, second.text);
    assert.deepEqual(second.json, first.json);
    const list = body<ContainerInfoJson[]>((await a.call('GET', '/api/v1/containers')).json);
    assert.equal(list.filter((c) => c.claim_id === claim('twice')).length, 1);
  });

  test('a create with other GPUs for the same claim replaces the stale container', async () => {
    const first = await create(claim('moved'), { gpu_ids: [1] });
    assert.equal(first.status, 201, first.text);
    const second = await create(claim('moved'), { gpu_ids: [2] });
    assert.equal(second.status, 201, second.text);
    const list = body<ContainerInfoJson[]>((await a.call('GET', '/api/v1/containers')).json);
    const mine = list.filter((c) => c.claim_id === claim('moved'));
    assert.deepEqual(
      mine.map((c) => c.gpu_ids),
      [[2]],
    );
    await a.call('DELETE', `/api/v1/containers/claim:${claim('moved')}`);
  });

  test('concurrent creates of one claim are serialized into one container', async () => {
    const results = await Promise.all([1, 2, 3].map(() => create(claim('race'))));
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 200, 201]);
    const ids = new Set(results.map((r) => body<{ container_id: string }>(r.json).container_id));
    assert.equal(ids.size, 1);
  });

  test('simulated GPUs: env equals the server-chosen ids, user values dropped, no device request', async () => {
    const res = await create(claim('env'), {
      gpu_ids: [1, 3],
      env_vars: ['NVIDIA_VISIBLE_DEVICES=all', 'UTOPIA_GPU_IDS=0,1,2,3', 'KEEP=me'],
    });
    assert.equal(res.status, 201, res.text);
    const id = body<{ container_id: string }>(res.json).container_id;
    const info = await suite.docker.getContainer(id).inspect();
    const env = info.Config.Env ?? [];
    assert.ok(env.includes('NVIDIA_VISIBLE_DEVICES=1,3'), env.join(' '));
    assert.ok(env.includes('UTOPIA_GPU_IDS=1,3'));
    assert.ok(env.includes('KEEP=me'));
    assert.ok(!env.includes('NVIDIA_VISIBLE_DEVICES=all'));
    assert.equal(info.HostConfig.DeviceRequests ?? null, null);
    assert.equal(info.HostConfig.RestartPolicy?.Name, 'no');
    assert.equal(info.HostConfig.Privileged, false);
    assert.equal(info.HostConfig.NetworkMode, 'none');
    assert.equal(info.Name, `/utopia-claim-${claim('env')}`);
    assert.equal(info.Config.Labels['utopia.managed'], 'true');
    assert.equal(info.Config.Labels['utopia.claim_id'], claim('env'));
    assert.equal(info.Config.Labels['utopia.gpu_ids'], '1,3');
    assert.equal(info.Config.Labels['utopia.node_id'], a.agent.nodeId);
    const got = body<ContainerInfoJson>((await a.call('GET', `/api/v1/containers/${id}`)).json);
    assert.deepEqual(got.gpu_ids, [1, 3]);
    assert.equal(got.status, 'running');
  });

  test('a GPU already used by a live container, or one the node lacks, is refused with 409', async () => {
    const holder = await create(claim('holder'), { gpu_ids: [2] });
    assert.equal(holder.status, 201, holder.text);
    const taken = await create(claim('taker'), { gpu_ids: [2] });
    assert.equal(taken.status, 409);
    assert.deepEqual(
      {
        reason: body<{ reason: string }>(taken.json).reason,
        permanent: body<{ permanent: boolean }>(taken.json).permanent,
      },
      { reason: 'GPU_UNAVAILABLE', permanent: true },
    );
    assert.match(
      body<{ error: string }>(taken.json).error,
      new RegExp(`GPU 2 \\(claim ${claim('holder')}\\)`),
    );
    const missing = await create(claim('missing-gpu'), { gpu_ids: [9] });
    assert.equal(missing.status, 409);
    assert.match(body<{ error: string }>(missing.json).error, /no GPU 9/);
  });

  test('delete removes the container; deleting again is still 204', async () => {
    const res = await create(claim('delete'));
    const id = body<{ container_id: string }>(res.json).container_id;
    assert.equal((await a.call('DELETE', `/api/v1/containers/${id}`)).status, 204);
    assert.equal((await a.call('GET', `/api/v1/containers/${id}`)).status, 404);
    assert.equal((await a.call('DELETE', `/api/v1/containers/${id}`)).status, 204);
    await assert.rejects(suite.docker.getContainer(id).inspect(), /no such container/i);
  });

  test('a killed container is reported exited with its code and frees its GPU', async () => {
    const res = await create(claim('killed'), { gpu_ids: [4] });
    assert.equal(res.status, 201, res.text);
    const id = body<{ container_id: string }>(res.json).container_id;
    await suite.docker.getContainer(id).kill();
    await suite.docker.getContainer(id).wait();
    const got = body<ContainerInfoJson>(
      (await a.call('GET', `/api/v1/containers/claim:${claim('killed')}`)).json,
    );
    assert.equal(got.id, id);
    assert.equal(got.status, 'exited');
    assert.equal(got.exit_code, 137);
    assert.ok(typeof got.finished === 'number' && got.finished > 0);
    const reuse = await create(claim('after-kill'), { gpu_ids: [4] });
    assert.equal(reuse.status, 201, reuse.text);
  });

  test('a container that exits by itself reports its exit code; logs are served as text', async () => {
    const res = await create(claim('exit3'), {
      command: ['sh', '-c', 'echo hello-from-utopia; exit 3'],
    });
    const id = body<{ container_id: string }>(res.json).container_id;
    await suite.docker.getContainer(id).wait();
    const got = body<ContainerInfoJson>((await a.call('GET', `/api/v1/containers/${id}`)).json);
    assert.equal(got.exit_code, 3);
    const logs = await a.call('GET', `/api/v1/containers/${id}/logs?tail=10&follow=false`);
    assert.equal(logs.status, 200);
    assert.match(logs.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(logs.text, 'hello-from-utopia\n');
  });

  test('a missing image is a permanent failure that names the image', async (t) => {
    const image = `utopia-test/no-such-image-${suite.runId}:latest`;
    const res = await a.call('POST', '/api/v1/containers', {
      body: { claim_id: claim('noimage'), image },
    });
    assert.equal(res.status, 422, res.text);
    const err = body<{ reason: string; permanent: boolean; error: string }>(res.json);
    assert.equal(err.reason, 'IMAGE_NOT_FOUND');
    assert.equal(err.permanent, true);
    assert.ok(err.error.includes(image), err.error);
    t.diagnostic(`pull failure as reported: ${err.error}`);
  });

  test('logs?follow=true streams new lines as the container prints them', async () => {
    const res = await create(claim('follow'), {
      command: ['sh', '-c', 'i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done'],
    });
    const id = body<{ container_id: string }>(res.json).container_id;
    const ctl = new AbortController();
    const stream = await fetch(`${a.agent.url}/api/v1/containers/${id}/logs?follow=true`, {
      headers: { authorization: `Bearer ${a.agent.agentToken}` },
      signal: ctl.signal,
    });
    assert.equal(stream.status, 200);
    const reader = stream.body?.getReader();
    assert.ok(reader);
    let seen = '';
    while (!/tick-2\n/.test(seen)) {
      const chunk = await reader.read();
      if (chunk.done) break;
      seen += Buffer.from(chunk.value).toString();
    }
    assert.match(seen, /tick-0\ntick-1\ntick-2\n/);
    ctl.abort();
  });

  test('stopping an agent ends its followed log streams instead of waiting for them', async () => {
    const c = await suite.agent();
    const res = await c.call('POST', '/api/v1/containers', {
      body: {
        claim_id: claim('follow-close'),
        image: TEST_IMAGE,
        command: ['sh', '-c', 'while true; do echo x; sleep 0.2; done'],
      },
    });
    const id = body<{ container_id: string }>(res.json).container_id;
    const stream = await fetch(`${c.agent.url}/api/v1/containers/${id}/logs?follow=true`, {
      headers: { authorization: `Bearer ${c.agent.agentToken}` },
    });
    const reader = stream.body?.getReader();
    assert.ok(reader);
    await reader.read();
    const closed = await Promise.race([
      c.agent.close().then(() => 'closed'),
      new Promise((r) => setTimeout(() => r('hung'), 5000)),
    ]);
    assert.equal(closed, 'closed');
    await reader.cancel().catch(() => undefined);
  });

  test('real-GPU mode: DeviceRequests carry the exact ids (driver nvidia, capability gpu)', async () => {
    // 1. What the runtime sends, read back from Docker.
    const runtime = new DockerRuntime(suite.docker);
    const id = await runtime.create({
      name: `utopia-claim-${claim('devreq')}`,
      image: TEST_IMAGE,
      labels: {
        'utopia.managed': 'true',
        'utopia.claim_id': claim('devreq'),
        // A node of its own: an unlabelled container counts as every agent's on this engine,
        // and another test's DELETE /api/v1/containers would take it.
        'utopia.node_id': `devreq-${suite.runId}`,
        [RUN_LABEL]: suite.runId,
      },
      env: [],
      command: ['sleep', '5'],
      workingDir: undefined,
      networkMode: 'none',
      ports: [],
      gpuDeviceIds: ['0', '2'],
      mounts: [],
      limits: { nanoCpus: undefined, memoryBytes: undefined, shmSizeBytes: undefined },
    });
    const info = await suite.docker.getContainer(id).inspect();
    assert.deepEqual(
      info.HostConfig.DeviceRequests?.map((r) => [r.Driver, r.DeviceIDs, r.Capabilities]),
      [['nvidia', ['0', '2'], [['gpu']]]],
    );
    await runtime.remove(id);
    // 2. Through the agent on a host without the NVIDIA runtime: Docker refuses the start; the
    //    agent says so and leaves no container holding GPUs behind. It is another node on the
    //    same Docker Engine: agent A's containers do not count against its GPUs.
    const sim = new SimulatedGpuBackend({
      count: 6,
      model: 'NVIDIA H100',
      memoryMiB: 81559,
      seed: suite.runId,
    });
    const gpuBackend = {
      kind: 'nvidia-smi' as const,
      requestsDevices: true,
      condition: 'ok',
      list: (): Promise<GpuDevice[]> => sim.list(),
    };
    const real = await suite.agent({ gpuBackend });
    try {
      const res = await real.call('POST', '/api/v1/containers', {
        body: { claim_id: claim('devreq2'), image: TEST_IMAGE, gpu_ids: [0, 2] },
      });
      assert.equal(res.status, 422, res.text);
      assert.equal(body<{ reason: string }>(res.json).reason, 'CONTAINER_CREATE_FAILED');
      assert.match(
        body<{ error: string }>(res.json).error,
        /could not select device driver "nvidia"/,
      );
      assert.equal(
        (await real.call('GET', `/api/v1/containers/claim:${claim('devreq2')}`)).status,
        404,
      );
    } finally {
      await real.agent.close();
    }
  });

  test('host mounts and unknown fields (privileged) are rejected with 400', async () => {
    for (const [extra, error] of [
      [
        { volumes: { '/': '/host' } },
        'body/volumes: only {} is accepted (host paths go in host_paths)',
      ],
      [{ privileged: true }, 'body/privileged: unknown field'],
    ] as const) {
      const res = await create(claim('bad'), extra);
      assert.equal(res.status, 400, res.text);
      assert.equal(body<{ reason: string }>(res.json).reason, 'VALIDATION_FAILED');
      assert.equal(body<{ error: string }>(res.json).error, error);
    }
  });

  test('metrics carry the node id from the identity and the GPUs, busy where assigned', async () => {
    const res = await a.call('GET', '/api/v1/metrics');
    assert.equal(res.status, 200, res.text);
    const m = body<{ node_id: string; gpus: Array<{ id: number; busy: boolean }>; system: object }>(
      res.json,
    );
    assert.equal(m.node_id, a.agent.nodeId);
    assert.equal(m.gpus.length, 6);
    assert.equal(m.gpus.find((g) => g.id === 2)?.busy, true);
  });

  test('no token, a wrong token and node A token on node B: 401; /health and /status need none', async () => {
    const b = await suite.agent({ simulateGpus: 2 });
    try {
      assert.notEqual(b.agent.agentToken, a.agent.agentToken);
      for (const token of [null, 'wrong', a.agent.agentToken]) {
        const list = await b.call('GET', '/api/v1/containers', { token });
        assert.equal(list.status, 401);
        assert.deepEqual(list.json, {
          error: 'missing or wrong bearer token for this node',
          code: 401,
          reason: 'UNAUTHENTICATED',
          permanent: true,
        });
        const post = await b.call('POST', '/api/v1/containers', {
          token,
          body: { claim_id: claim('x'), image: TEST_IMAGE },
        });
        assert.equal(post.status, 401);
      }
      const own = await b.call('GET', '/api/v1/containers');
      assert.equal(own.status, 200);
      assert.deepEqual(own.json, []); // A's containers on the same Docker are not B's
      const health = await b.call('GET', '/health', { token: null });
      assert.equal(body<{ status: string }>(health.json).status, 'healthy');
      const status = await b.call('GET', '/status', { token: null });
      assert.equal(status.status, 200);
      assert.equal(body<{ node_id: string }>(status.json).node_id, b.agent.nodeId);
      assert.equal(body<{ gpu_count: number }>(status.json).gpu_count, 2);
    } finally {
      await b.agent.close();
    }
  });

  test('a restarted agent adopts its containers with their claim ids and stays idempotent', async () => {
    const before = body<ContainerInfoJson[]>((await a.call('GET', '/api/v1/containers')).json);
    const running = before.find((c) => c.claim_id === claim('twice'));
    assert.ok(running);
    await a.agent.close();
    // Same data directory: the identity is reused (PUT /api/nodes/self, no new registration).
    a = await suite.agent({ simulateGpus: 6, dataDir: a.dataDir });
    const after = body<ContainerInfoJson[]>((await a.call('GET', '/api/v1/containers')).json);
    assert.deepEqual(after.map((c) => c.claim_id).sort(), before.map((c) => c.claim_id).sort());
    const again = await create(claim('twice'), { gpu_ids: [0] });
    assert.equal(again.status, 200);
    assert.equal(body<{ container_id: string }>(again.json).container_id, running.id);
    assert.equal(suite.fake.calls.filter((c) => c.url === '/api/nodes/register').length, 4); // A, B, real, C
  });
});
