import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ClaimSpec, GpuClaim } from './api/claims.js';
import { wireCheck } from './wire-check.js';

const isSpec = wireCheck(ClaimSpec);

test('wireCheck runs StringMap key and value schemas', () => {
  const spec = { image: 'busybox:latest', resources: { gpuCount: 1 } };
  assert.equal(isSpec({ ...spec, env: { EPOCHS: '3' } }), true);
  assert.equal(isSpec({ ...spec, env: { 'not a name': '3' } }), false);
  assert.equal(isSpec({ ...spec, env: { NVIDIA_VISIBLE_DEVICES: 'all' } }), false);
  assert.equal(isSpec({ ...spec, env: { A: 3 } }), false);
  assert.equal(isSpec({ ...spec, env: ['A'] }), false);
  const many = Object.fromEntries(Array.from({ length: 129 }, (_, i) => [`K${i}`, 'v']));
  assert.equal(isSpec({ ...spec, env: many }), false);
});

test('wireCheck checks date-time and text formats', () => {
  const isClaim = wireCheck(GpuClaim);
  const claim = {
    id: 'c1',
    name: 'x',
    owner: 'alice',
    createdAt: '2026-12-01T09:00:00.000Z',
    updatedAt: '2026-12-01T09:00:00.000Z',
    version: 1,
    spec: { image: 'busybox:latest', resources: { gpuCount: 1 }, command: ['echo', 'hi'] },
    status: {
      phase: 'Pending',
      nodeName: null,
      nodeId: null,
      gpuIds: [],
      containerId: null,
      reason: null,
      message: null,
      restartCount: 0,
      exitCode: null,
      phaseChangedAt: '2026-12-01T09:00:00.000Z',
      deletionRequestedAt: null,
      placement: null,
    },
  };
  assert.equal(isClaim(claim), true);
  assert.equal(isClaim({ ...claim, createdAt: 'yesterday' }), false);
  assert.equal(isClaim({ ...claim, spec: { ...claim.spec, command: ['a\u0000b'] } }), false);
  assert.equal(isClaim({ ...claim, extra: 1 }), false);
});
