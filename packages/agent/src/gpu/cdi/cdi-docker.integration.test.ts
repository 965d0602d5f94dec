// CDI mode against the REAL Docker Engine (DOCKER_HOST, or a private dockerd started by
// scripts/services/dockerd.sh), with no NVIDIA runtime. If Docker cannot be had, these tests
// fail; they never skip.
//
// The spec here is SYNTHETIC, written by this test: the shape nvidia-ctk writes (a device per
// index or UUID, `all`, spec-level control node, a driver library mount, env), but its host
// "devices" are /dev/null, /dev/zero and /dev/full, so any machine can run it. The real specs
// the parser is tested on are in fixtures/ (see fixtures/README.md).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_IMAGE } from '../../test-support/docker-env.js';
import { useDockerSuite } from '../../test-support/docker-suite.js';
import type { TestAgent } from '../../test-support/test-agent.js';
import { simulatedUuid } from '../simulated.backend.js';

const PROBE = [
  'ls -l /dev | grep -E "nvidia" | sed -E "s/ +/ /g; s/^/dev: /"',
  'echo "lib: $(cat /usr/local/nvidia/lib64/libcuda.so.1 2>&1)"',
  'echo x 2>/dev/null > /usr/local/nvidia/lib64/libcuda.so.1 || echo lib-read-only',
  'env | grep -E "^(NVIDIA_|UTOPIA_GPU_IDS|CDI_|GPU_NAME)" | sort',
].join('; ');

function stringField(json: unknown, key: string): string {
  const value: unknown = typeof json === 'object' && json !== null ? Object(json)[key] : undefined;
  assert.equal(typeof value, 'string', `${key} in ${JSON.stringify(json)}`);
  return String(value);
}

function syntheticSpec(uuid1: string, libFile: string): string {
  const node = (path: string, host: string): string =>
    `        - path: ${path}\n          hostPath: ${host}\n`;
  return [
    'cdiVersion: 0.5.0',
    'kind: nvidia.com/gpu',
    'devices:',
    '  - name: "0"',
    '    containerEdits:',
    '      env: [GPU_NAME=zero]',
    '      deviceNodes:',
    node('/dev/nvidia0', '/dev/null').trimEnd(),
    `  - name: ${uuid1}`,
    '    containerEdits:',
    '      env: [GPU_NAME=one]',
    '      deviceNodes:',
    node('/dev/nvidia1', '/dev/zero').trimEnd(),
    '  - name: all',
    '    containerEdits:',
    '      deviceNodes:',
    node('/dev/nvidia-all', '/dev/random').trimEnd(),
    'containerEdits:',
    '  env: [NVIDIA_VISIBLE_DEVICES=void, CDI_SPEC=synthetic]',
    '  deviceNodes:',
    '    - path: /dev/nvidiactl',
    '      hostPath: /dev/full',
    '      permissions: rw',
    '  mounts:',
    `    - hostPath: ${libFile}`,
    '      containerPath: /usr/local/nvidia/lib64/libcuda.so.1',
    '      options: [ro, nosuid, nodev, bind]',
    '',
  ].join('\n');
}

describe('CDI mode on a real Docker Engine (synthetic spec, harmless device nodes)', () => {
  let a: TestAgent;
  const dir = mkdtempSync(join(tmpdir(), 'utopia-cdi-e2e-'));
  const machineId = `cdi-e2e-${dir}`;
  const suite = useDockerSuite(async (s) => {
    writeFileSync(join(dir, 'libcuda.so.1'), 'synthetic-driver-library');
    const specDir = mkdtempSync(join(dir, 'cdi-'));
    writeFileSync(
      join(specDir, 'nvidia.yaml'),
      syntheticSpec(simulatedUuid(machineId, 1), join(dir, 'libcuda.so.1')),
    );
    a = await s.agent({
      simulateGpus: 2,
      machineId,
      settings: { gpuInjection: 'cdi', cdiSpecDirs: specDir },
    });
  });
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const claim = (name: string): string => `t${suite.runId}-${name}`;

  async function runProbe(claimId: string, gpuIds: number[]): Promise<string> {
    const res = await a.call('POST', '/api/v1/containers', {
      body: { claim_id: claimId, image: TEST_IMAGE, gpu_ids: gpuIds, command: ['sh', '-c', PROBE] },
    });
    assert.equal(res.status, 201, res.text);
    const id = stringField(res.json, 'container_id');
    await suite.docker.getContainer(id).wait();
    return (await a.call('GET', `/api/v1/containers/${id}/logs?follow=false`)).text;
  }

  test('/status says CDI and why', async () => {
    const res = await fetch(`${a.agent.url}/status`);
    const injection: unknown = Object(await res.json()).gpu_injection;
    assert.equal(stringField(injection, 'mode'), 'cdi');
    assert.match(stringField(injection, 'reason'), /gpuInjection=cdi/);
  });

  test('a 1-GPU claim sees exactly its device nodes, the driver mount read-only, the spec env', async () => {
    const out = await runProbe(claim('gpu1'), [1]);
    const lines = out.trim().split('\n');
    // /dev/nvidia1 is the host's /dev/zero (char 1,5); /dev/nvidiactl the host's /dev/full (1,7).
    assert.ok(
      lines.some((l) => /^dev: c\S+ .* 1, 5 .* nvidia1$/.test(l)),
      out,
    );
    assert.ok(
      lines.some((l) => /^dev: c\S+ .* 1, 7 .* nvidiactl$/.test(l)),
      out,
    );
    assert.ok(!/nvidia0|nvidia-all/.test(out), out);
    assert.ok(lines.includes('lib: synthetic-driver-library'), out);
    assert.ok(lines.includes('lib-read-only'), out);
    assert.deepEqual(
      lines.filter((l) => /^[A-Z_]+=/.test(l)),
      ['CDI_SPEC=synthetic', 'GPU_NAME=one', 'NVIDIA_VISIBLE_DEVICES=void', 'UTOPIA_GPU_IDS=1'],
    );
    const inspect = await suite.docker.getContainer(`utopia-claim-${claim('gpu1')}`).inspect();
    // dockerode types HostConfig.Devices as any: compare it whole instead of reading fields.
    const devices: unknown = inspect.HostConfig.Devices;
    assert.deepEqual(devices, [
      { PathOnHost: '/dev/full', PathInContainer: '/dev/nvidiactl', CgroupPermissions: 'rw' },
      { PathOnHost: '/dev/zero', PathInContainer: '/dev/nvidia1', CgroupPermissions: 'rwm' },
    ]);
  });

  test('a claim with no GPU gets no device node, no driver mount and NVIDIA_VISIBLE_DEVICES=void', async () => {
    const out = await runProbe(claim('nogpu'), []);
    assert.doesNotMatch(out, /^dev: /m);
    assert.match(out, /lib: cat: can't open/);
    assert.match(out, /^NVIDIA_VISIBLE_DEVICES=void$/m);
  });

  test('two GPUs: both nodes, device env of the later one wins', async () => {
    const out = await runProbe(claim('gpu01'), [0, 1]);
    assert.match(out, / nvidia0$/m);
    assert.match(out, / nvidia1$/m);
    assert.doesNotMatch(out, /nvidia-all/);
    assert.match(out, /^GPU_NAME=one$/m);
  });
});
