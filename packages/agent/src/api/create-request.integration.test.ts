// POST /api/v1/containers bodies on the REAL Docker Engine: what the original (Go) agent accepted
// and refused, and text no container can receive, refused before Docker sees it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TEST_IMAGE } from '../test-support/docker-env.js';
import { useDockerSuite } from '../test-support/docker-suite.js';
import { errorOf, field } from '../test-support/json-field.js';
import type { TestAgent } from '../test-support/test-agent.js';

describe('create requests on a real Docker Engine', () => {
  let a: TestAgent;
  const suite = useDockerSuite(async (s) => {
    a = await s.agent({ simulateGpus: 4 });
  });
  const claim = (name: string): string => `r${suite.runId}-${name}`;

  const create = (body: Record<string, unknown>): ReturnType<TestAgent['call']> =>
    a.call('POST', '/api/v1/containers', {
      body: { image: TEST_IMAGE, command: ['sleep', '300'], ...body },
    });

  const claimIds = async (): Promise<unknown[]> => {
    const list = (await a.call('GET', '/api/v1/containers')).json;
    return Array.isArray(list) ? list.map((c) => field(c, 'claim_id')) : [];
  };

  test('NUL and lone surrogates in command, env or working_dir: 400 at validation, no container', async () => {
    const bad: Array<[string, Record<string, unknown>]> = [
      ['command NUL', { command: ['sh', '-c', 'echo a\u0000b'] }],
      ['command high surrogate', { command: ['echo', 'x\ud800'] }],
      ['command low surrogate', { command: ['echo', '\udc00'] }],
      ['env value NUL', { env_vars: ['A=\u0000'] }],
      ['env value surrogate', { env_vars: ['A=\ud83d'] }],
      ['env name NUL', { env_vars: ['A\u0000B=1'] }],
      ['working_dir NUL', { working_dir: '/tmp\u0000' }],
    ];
    for (const [what, extra] of bad) {
      const res = await create({ claim_id: claim('text'), ...extra });
      assert.equal(res.status, 400, `${what}: ${res.text}`);
      assert.deepEqual(errorOf(res.json), { reason: 'VALIDATION_FAILED', permanent: true }, what);
      assert.match(String(field(res.json, 'error')), /^body\/(command|env_vars|working_dir)/);
    }
    assert.ok(!(await claimIds()).includes(claim('text')));
  });

  test('non-ASCII text and astral characters (paired surrogates) still reach the container', async () => {
    const res = await create({
      claim_id: claim('unicode'),
      command: ['echo', 'grüße 😀 日本'],
      env_vars: ['GREETING=😀'],
    });
    assert.equal(res.status, 201, res.text);
    const info = await suite.docker.getContainer(String(field(res.json, 'container_id'))).inspect();
    assert.deepEqual(info.Config.Cmd, ['echo', 'grüße 😀 日本']);
    assert.ok(info.Config.Env.includes('GREETING=😀'));
  });

  test('gpu_count 0, strings, booleans and fractions are refused, never coerced', async () => {
    const bad: Array<Record<string, unknown>> = [
      { gpu_count: 0 },
      { gpu_count: '1' },
      { gpu_count: true },
      { gpu_count: 1.5 },
      { gpu_ids: ['0'] },
      { gpu_ids: [true] },
      { port_mappings: [{ host_port: '0', container_port: 80 }] },
      { command: 'sleep 300' },
    ];
    for (const extra of bad) {
      const res = await create({ claim_id: claim('types'), ...extra });
      assert.equal(res.status, 400, `${JSON.stringify(extra)}: ${res.text}`);
      assert.deepEqual(errorOf(res.json), { reason: 'VALIDATION_FAILED', permanent: true });
    }
    assert.ok(!(await claimIds()).includes(claim('types')));
  });

  test('the Go agent\'s `volumes: {}` and explicit nulls are accepted as "not given"', async () => {
    const res = await a.call('POST', '/api/v1/containers', {
      body: {
        claim_id: claim('go-shape'),
        image: TEST_IMAGE,
        gpu_count: 1,
        gpu_ids: null,
        volumes: {},
        env_vars: null,
        command: ['sleep', '300'],
        working_dir: null,
        port_mappings: [{ host_port: 0, container_port: 8080, protocol: null }],
      },
    });
    assert.equal(res.status, 201, res.text);
    const info = await suite.docker.getContainer(String(field(res.json, 'container_id'))).inspect();
    assert.equal(info.Config.Labels['utopia.gpu_ids'], '0');
    assert.equal(info.Config.WorkingDir, '');
    assert.deepEqual(Object.keys(info.Config.ExposedPorts ?? {}), ['8080/tcp']);
    assert.deepEqual(info.Mounts, []);
    // Nulls never stand for required fields, and a mount in volumes is still refused.
    for (const body of [
      { claim_id: claim('null-image'), image: null },
      { claim_id: null, image: TEST_IMAGE },
      { claim_id: claim('mount'), image: TEST_IMAGE, volumes: { '/': '/host' } },
      { claim_id: claim('null-item'), image: TEST_IMAGE, command: [null] },
    ]) {
      const bad = await a.call('POST', '/api/v1/containers', { body });
      assert.equal(bad.status, 400, `${JSON.stringify(body)}: ${bad.text}`);
    }
  });

  test('a user cannot choose the GPUs through CUDA_VISIBLE_DEVICES either', async () => {
    const res = await create({
      claim_id: claim('cuda-env'),
      gpu_ids: [2],
      env_vars: ['CUDA_VISIBLE_DEVICES=0,1,2,3', 'NVIDIA_VISIBLE_DEVICES=all', 'KEEP=1'],
    });
    assert.equal(res.status, 201, res.text);
    const info = await suite.docker.getContainer(String(field(res.json, 'container_id'))).inspect();
    const env = info.Config.Env;
    assert.ok(!env.some((e) => e.startsWith('CUDA_VISIBLE_DEVICES=')), env.join(' '));
    assert.ok(env.includes('NVIDIA_VISIBLE_DEVICES=2'));
    assert.ok(env.includes('KEEP=1'));
  });
});
