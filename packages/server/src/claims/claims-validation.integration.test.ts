// What a user would expect to be refused when claiming GPUs: each a 400 that names the field,
// and nothing written.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';

const OK_SPEC = { image: 'pytorch/pytorch:2.4.0-cuda12.1', resources: { gpuCount: 1 } };

const CASES: [string, unknown, string][] = [
  ['gpuCount 0', { spec: { ...OK_SPEC, resources: { gpuCount: 0 } } }, 'spec.resources.gpuCount'],
  [
    'gpuCount not an integer',
    { spec: { ...OK_SPEC, resources: { gpuCount: 1.5 } } },
    'spec.resources.gpuCount',
  ],
  [
    'gpuCount as a string',
    { spec: { ...OK_SPEC, resources: { gpuCount: '2' } } },
    'spec.resources.gpuCount',
  ],
  ['image with spaces', { spec: { ...OK_SPEC, image: 'my image' } }, 'spec.image'],
  ['image with upper case path', { spec: { ...OK_SPEC, image: 'PyTorch/PyTorch' } }, 'spec.image'],
  ['empty image', { spec: { ...OK_SPEC, image: '' } }, 'spec.image'],
  ['env name with a dash', { spec: { ...OK_SPEC, env: { 'BAD-NAME': '1' } } }, 'spec.env'],
  [
    'reserved env NVIDIA_VISIBLE_DEVICES',
    { spec: { ...OK_SPEC, env: { NVIDIA_VISIBLE_DEVICES: 'all' } } },
    'spec.env.NVIDIA_VISIBLE_DEVICES',
  ],
  [
    'reserved env CUDA_VISIBLE_DEVICES',
    { spec: { ...OK_SPEC, env: { CUDA_VISIBLE_DEVICES: '0' } } },
    'spec.env.CUDA_VISIBLE_DEVICES',
  ],
  ['reserved env UTOPIA_*', { spec: { ...OK_SPEC, env: { UTOPIA_X: '1' } } }, 'spec.env.UTOPIA_X'],
  ['port 0', { spec: { ...OK_SPEC, ports: [{ containerPort: 0 }] } }, 'spec.ports.0.containerPort'],
  [
    'port 70000',
    { spec: { ...OK_SPEC, ports: [{ containerPort: 70000 }] } },
    'spec.ports.0.containerPort',
  ],
  [
    'protocol sctp',
    { spec: { ...OK_SPEC, ports: [{ containerPort: 80, protocol: 'sctp' }] } },
    'spec.ports.0.protocol',
  ],
  ['host mounts', { spec: { ...OK_SPEC, volumes: { '/': '/host' } } }, 'spec.volumes'],
  ['privileged mode', { spec: { ...OK_SPEC, privileged: true } }, 'spec.privileged'],
  ['host mounts in a bare spec', { ...OK_SPEC, volumes: { '/': '/host' } }, 'spec.volumes'],
  [
    'unknown restart policy',
    { spec: { ...OK_SPEC, restartPolicy: 'Sometimes' } },
    'spec.restartPolicy',
  ],
  ['cpus 0', { spec: { ...OK_SPEC, resources: { gpuCount: 1, cpus: 0 } } }, 'spec.resources.cpus'],
  [
    'memoryMiB below Docker minimum',
    { spec: { ...OK_SPEC, resources: { gpuCount: 1, memoryMiB: 5 } } },
    'spec.resources.memoryMiB',
  ],
  [
    'memoryMiB not an integer',
    { spec: { ...OK_SPEC, resources: { gpuCount: 1, memoryMiB: 1.5 } } },
    'spec.resources.memoryMiB',
  ],
  ['shmSizeMiB 0', { spec: { ...OK_SPEC, shmSizeMiB: 0 } }, 'spec.shmSizeMiB'],
  [
    'volume name in upper case',
    { spec: { ...OK_SPEC, volumes: [{ name: 'Data', mountPath: '/data' }] } },
    'spec.volumes.0.name',
  ],
  [
    'relative mountPath',
    { spec: { ...OK_SPEC, volumes: [{ name: 'data', mountPath: 'data' }] } },
    'spec.volumes.0.mountPath',
  ],
  [
    'mountPath "/"',
    { spec: { ...OK_SPEC, volumes: [{ name: 'data', mountPath: '/' }] } },
    'spec.volumes.0.mountPath',
  ],
  [
    'hostPath with ".."',
    { spec: { ...OK_SPEC, hostPaths: [{ path: '/datasets/../etc', mountPath: '/d' }] } },
    'spec.hostPaths.0.path',
  ],
  [
    'hostPath with a trailing "/"',
    { spec: { ...OK_SPEC, hostPaths: [{ path: '/datasets/', mountPath: '/d' }] } },
    'spec.hostPaths.0.path',
  ],
  ['Docker mounts field', { spec: { ...OK_SPEC, mounts: [] } }, 'spec.mounts'],
  ['label key with a space', { labels: { 'a b': 'x' }, spec: OK_SPEC }, 'labels'],
  ['label value with "="', { labels: { team: 'a=b' }, spec: OK_SPEC }, 'labels'],
  [
    'too many annotations',
    {
      annotations: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])),
      spec: OK_SPEC,
    },
    'annotations',
  ],
  [
    'annotation value too long',
    { annotations: { note: 'x'.repeat(4097) }, spec: OK_SPEC },
    'annotations',
  ],
  ['bad name', { name: 'Not OK!', spec: OK_SPEC }, 'name'],
  ['unknown top-level field', { spec: OK_SPEC, priority: 1 }, 'priority'],
  ['no spec', { name: 'x' }, 'spec'],
];

for (const dbKind of testDatabases()) {
  describe(`claim validation (${dbKind})`, () => {
    let t: TestServer;
    let user: string;
    before(async () => {
      t = await startTestServer(dbKind);
      const admin = await t.adminToken();
      const jt = await t.api('POST', '/api/join-tokens', { token: admin, body: {} });
      const gpus = [0, 1, 2, 3].map((index) => ({
        index,
        uuid: `GPU-${index}`,
        model: 'Test',
        memoryTotalMiB: 1024,
      }));
      await t.api('POST', '/api/nodes/register', {
        body: {
          joinToken: jt.json.token,
          hostname: 'n',
          machineId: '',
          agentVersion: '1',
          address: 'http://127.0.0.1:9',
          gpus,
        },
      });
      user = (await t.createUser('val')).token;
    });
    after(() => t.close());

    for (const [what, body, field] of CASES) {
      test(`${what} → 400 naming ${field}`, async () => {
        const res = await t.api('POST', '/api/gpu-claims', { token: user, body });
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.json.code, 'VALIDATION_FAILED');
        const fields =
          (res.json.details as { field: string }[] | undefined)?.map((d) => d.field) ?? [];
        assert.ok(
          fields.some((f) => f === field || f.startsWith(`${field}.`)),
          `${JSON.stringify(fields)} names ${field}`,
        );
      });
    }

    test('gpuCount larger than any node → 409 naming spec.resources.gpuCount', async () => {
      const res = await t.api('POST', '/api/gpu-claims', {
        token: user,
        body: { spec: { ...OK_SPEC, resources: { gpuCount: 5 } } },
      });
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.equal(res.json.code, 'CONFLICT');
      assert.deepEqual(
        (res.json.details as { field: string }[]).map((d) => d.field),
        ['spec.resources.gpuCount'],
      );
    });

    test('two mounts at one path → 409 naming the second', async () => {
      const res = await t.api('POST', '/api/gpu-claims', {
        token: user,
        body: {
          spec: {
            ...OK_SPEC,
            volumes: [{ name: 'data', mountPath: '/d' }],
            hostPaths: [{ path: '/datasets', mountPath: '/d' }],
          },
        },
      });
      assert.equal(res.status, 409, JSON.stringify(res.body));
      assert.deepEqual(
        (res.json.details as { field: string }[]).map((d) => d.field),
        ['spec.hostPaths.0.mountPath'],
      );
    });

    test('nothing was written by the refused requests', async () => {
      const res = await t.api('GET', '/api/gpu-claims', { token: user });
      assert.deepEqual(res.json.items, []);
    });

    test('a full valid spec is accepted', async () => {
      const res = await t.api('POST', '/api/gpu-claims', {
        token: user,
        body: {
          name: 'train-1',
          spec: {
            ...OK_SPEC,
            image: 'registry.example.com:5000/team/train@sha256:' + 'a'.repeat(64),
            resources: {
              gpuCount: 4,
              gpuModel: 'Test',
              minGpuMemoryMiB: 1000,
              cpus: 2.5,
              memoryMiB: 8192,
            },
            command: ['python', 'train.py'],
            env: { EPOCHS: '10' },
            ports: [{ containerPort: 8888 }],
            nodeSelector: { zone: 'a' },
            restartPolicy: 'OnFailure',
            volumes: [{ name: 'ckpt.v1', mountPath: '/ckpt', readOnly: false }],
            hostPaths: [{ path: '/datasets/imagenet', mountPath: '/data', readOnly: true }],
            shmSizeMiB: 4096,
          },
          labels: { team: 'vision', 'example.com/tier': 'gold' },
          annotations: { note: 'long free text, = and all' },
        },
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.json.name, 'train-1');
      assert.deepEqual(res.json.labels, { team: 'vision', 'example.com/tier': 'gold' });
      assert.deepEqual(res.json.annotations, { note: 'long free text, = and all' });
      const dup = await t.api('POST', '/api/gpu-claims', {
        token: user,
        body: { name: 'train-1', spec: OK_SPEC },
      });
      assert.equal(dup.status, 409);
    });

    test('concurrent POSTs commit together, and a duplicate name among them fails alone', async () => {
      const names = ['burst-a', 'burst-b', 'burst-c', 'burst-dup', 'burst-dup', 'burst-d'];
      const answers = await Promise.all(
        names.map((name) =>
          t.api('POST', '/api/gpu-claims', { token: user, body: { name, spec: OK_SPEC } }),
        ),
      );
      assert.deepEqual(
        answers.map((r) => r.status).sort(),
        [201, 201, 201, 201, 201, 409],
        JSON.stringify(answers.map((r) => r.body)),
      );
      const list = await t.api('GET', '/api/gpu-claims?limit=100', { token: user });
      const shown = (list.json.items as { name: string }[])
        .map((c) => c.name)
        .filter((n) => n.startsWith('burst-'));
      assert.deepEqual(shown.sort(), ['burst-a', 'burst-b', 'burst-c', 'burst-d', 'burst-dup']);
      for (const r of answers.filter((x) => x.status === 201)) {
        const one = await t.api('GET', `/api/gpu-claims/${String(r.json.id)}`, { token: user });
        assert.equal(one.status, 200);
        const events = one.json.events as { reason: string }[];
        assert.equal(events.filter((e) => e.reason === 'Created').length, 1);
      }
    });

    test('?label=key=value lists the claims with that label only; a bad selector is a 400', async () => {
      const other = await t.api('POST', '/api/gpu-claims', {
        token: user,
        body: { labels: { team: 'nlp' }, spec: OK_SPEC },
      });
      assert.equal(other.status, 201);
      const list = async (q: string): Promise<string[]> => {
        const res = await t.api('GET', `/api/gpu-claims?${q}`, { token: user });
        assert.equal(res.status, 200, JSON.stringify(res.body));
        return (res.json.items as { name: string }[]).map((c) => c.name);
      };
      assert.deepEqual(await list('label=team%3Dvision'), ['train-1']);
      assert.deepEqual(await list('label=example.com%2Ftier%3Dgold'), ['train-1']);
      assert.deepEqual(await list('label=team%3DVision'), [], 'values compare exactly');
      assert.deepEqual(await list('label=team%3Dvis'), [], 'no prefix match');
      assert.deepEqual(await list('label=te_m%3Dvision'), [], '_ is no wildcard');
      assert.equal((await list('label=team%3Dnlp')).length, 1);
      for (const bad of ['label=team', 'label=%3Dx', 'label=a%20b%3Dc']) {
        const res = await t.api('GET', `/api/gpu-claims?${bad}`, { token: user });
        assert.equal(res.status, 400, bad);
      }
      const watch = await t.api('GET', '/api/gpu-claims?watch=1&label=team%3Dnlp', { token: user });
      assert.equal(watch.status, 400);
    });
  });
}
