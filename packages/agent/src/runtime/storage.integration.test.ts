// Named volumes, host paths and limits against the REAL Docker Engine.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { TEST_IMAGE } from '../test-support/docker-env.js';
import { useDockerSuite } from '../test-support/docker-suite.js';
import type { TestAgent } from '../test-support/test-agent.js';

const MIB = 1024 * 1024;

describe('agent storage and limits on a real Docker Engine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'storage-agent-'));
  const allowed = join(dir, 'datasets');
  const readOnly = join(dir, 'ro');
  mkdirSync(join(allowed, 'imagenet'), { recursive: true });
  mkdirSync(readOnly);
  mkdirSync(join(dir, 'private'));
  symlinkSync(join(dir, 'private'), join(allowed, 'leak'));
  let a: TestAgent;
  const suite = useDockerSuite(async (s) => {
    a = await s.agent({
      simulateGpus: 2,
      settings: { allowedHostPaths: `${allowed},${readOnly}:ro` },
    });
  });
  const owner = (): string => `u${suite.runId}`;
  const claim = (name: string): string => `s${suite.runId}-${name}`;
  after(async () => {
    // The suite removes the run's containers first (its own after hook ran before this one).
    const { Volumes } = await suite.docker.listVolumes();
    for (const v of Volumes ?? [])
      if (v.Name.includes(owner())) await suite.docker.getVolume(v.Name).remove({ force: true });
    rmSync(dir, { recursive: true, force: true });
  });
  const create = (id: string, extra: Record<string, unknown>): ReturnType<TestAgent['call']> =>
    a.call('POST', '/api/v1/containers', {
      body: { claim_id: id, image: TEST_IMAGE, command: ['sleep', '300'], ...extra },
    });

  test('mounts, limits and shm reach Docker as asked', async () => {
    const res = await create(claim('full'), {
      cpus: 1.5,
      memory_mib: 256,
      shm_size_mib: 128,
      named_volumes: [{ owner: owner(), name: 'data', mount_path: '/data' }],
      host_paths: [
        { path: join(allowed, 'imagenet'), mount_path: '/in', read_only: true },
        { path: readOnly, mount_path: '/ro', read_only: true },
      ],
    });
    assert.equal(res.status, 201, res.text);
    const id = (res.json as { container_id: string }).container_id;
    const info = await suite.docker.getContainer(id).inspect();
    assert.equal(info.HostConfig.NanoCpus, 1_500_000_000);
    assert.equal(info.HostConfig.Memory, 256 * MIB);
    assert.equal(info.HostConfig.MemorySwap, 256 * MIB);
    assert.equal(info.HostConfig.ShmSize, 128 * MIB);
    const mounts = info.Mounts.map((m) => `${m.Type} ${m.Destination} ${m.RW ? 'rw' : 'ro'}`);
    assert.deepEqual(mounts.sort(), ['bind /in ro', 'bind /ro ro', 'volume /data rw']);
    const vol = await suite.docker.getVolume(`utopia-${owner()}-data`).inspect();
    assert.equal(vol.Labels['utopia.managed'], 'true');
    assert.equal(vol.Labels['utopia.volume.owner'], owner());
  });

  test('host paths outside the list, escaping symlinks and rw on :ro are refused (422)', async () => {
    for (const [path, ro, why] of [
      [join(dir, 'private'), true, /is not allowed/],
      [join(allowed, 'leak'), true, /resolves to .*private, which is not allowed/],
      [readOnly, false, /may only be mounted readOnly/],
      [join(allowed, 'missing'), true, /does not exist/],
    ] as const) {
      const res = await create(claim('refused'), {
        host_paths: [{ path, mount_path: '/x', read_only: ro }],
      });
      assert.equal(res.status, 422, res.text);
      const body = res.json as { reason: string; permanent: boolean; error: string };
      assert.equal(body.reason, 'HOST_PATH_NOT_ALLOWED');
      assert.equal(body.permanent, true);
      assert.match(body.error, why);
    }
  });

  test('a path with ".." and two mounts at one path are 400', async () => {
    const dotdot = await create(claim('dots'), {
      host_paths: [{ path: `${allowed}/../private`, mount_path: '/x' }],
    });
    assert.equal(dotdot.status, 400, dotdot.text);
    const twice = await create(claim('twice'), {
      named_volumes: [{ owner: owner(), name: 'a', mount_path: '/x' }],
      host_paths: [{ path: allowed, mount_path: '/x' }],
    });
    assert.equal(twice.status, 400, twice.text);
    assert.match((twice.json as { error: string }).error, /two mounts at \/x/);
  });

  test("a volume of Utopia's name that Utopia did not make is not mounted", async () => {
    await suite.docker.createVolume({ Name: `utopia-${owner()}-handmade` });
    const res = await create(claim('hand'), {
      named_volumes: [{ owner: owner(), name: 'handmade', mount_path: '/data' }],
    });
    assert.equal(res.status, 422, res.text);
    assert.match((res.json as { error: string }).error, /not made by Utopia/);
  });

  test('volumes are listed; delete is 409 while mounted, 204 after, and 204 again', async () => {
    const name = `utopia-${owner()}-data`;
    const list = await a.call('GET', '/api/v1/volumes');
    assert.equal(list.status, 200, list.text);
    assert.ok(
      (list.json as { name: string; owner: string; volume: string }[]).some(
        (v) => v.name === name && v.owner === owner() && v.volume === 'data',
      ),
    );
    const busy = await a.call('DELETE', `/api/v1/volumes/${name}`);
    assert.equal(busy.status, 409, busy.text);
    assert.equal((busy.json as { reason: string }).reason, 'VOLUME_IN_USE');
    assert.equal((await a.call('DELETE', `/api/v1/containers/claim:${claim('full')}`)).status, 204);
    assert.equal((await a.call('DELETE', `/api/v1/volumes/${name}`)).status, 204);
    assert.equal((await a.call('DELETE', `/api/v1/volumes/${name}`)).status, 204);
    const foreign = await a.call('DELETE', `/api/v1/volumes/utopia-${owner()}-handmade`);
    assert.equal(foreign.status, 404, 'a volume Utopia did not make is not its to delete');
    assert.equal((await a.call('DELETE', '/api/v1/volumes/..%2Fx')).status, 400);
    assert.equal((await a.call('GET', '/api/v1/volumes', { token: null })).status, 401);
  });

  test('capacity is in the metrics', async () => {
    const m = (await a.call('GET', '/api/v1/metrics')).json as {
      capacity: { cpus: number; memory_mib: number };
    };
    assert.ok(m.capacity.cpus >= 1 && m.capacity.memory_mib > 0, JSON.stringify(m.capacity));
  });
});
