import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CreateClaimRequest, wireCheck } from '@utopia/shared';
import { EMPTY_FORM, fromRequest, toRequest } from './claim-form.js';

const isRequest = wireCheck(CreateClaimRequest);

test('the form makes the request it shows, and the request fills the same form', () => {
  const form = {
    ...EMPTY_FORM,
    name: 'train-1',
    gpuCount: '2',
    gpuModel: 'NVIDIA A100',
    command: 'python\n  train.py  \n\n',
    env: 'EPOCHS=10\nURL=http://x/?a=b',
    ports: '8888, 6006',
    nodeSelector: 'zone=lab-1',
    restartPolicy: 'Never' as const,
  };
  const request = toRequest(form);
  assert.deepEqual(request, {
    name: 'train-1',
    spec: {
      image: 'busybox:latest',
      resources: { gpuCount: 2, gpuModel: 'NVIDIA A100' },
      command: ['python', 'train.py'],
      env: { EPOCHS: '10', URL: 'http://x/?a=b' },
      ports: [{ containerPort: 8888 }, { containerPort: 6006 }],
      nodeSelector: { zone: 'lab-1' },
      restartPolicy: 'Never',
    },
  });
  assert.ok(isRequest(request));
  assert.deepEqual(toRequest(fromRequest(request)), request);
});

test('what is not a number is sent as typed, so the API names the field', () => {
  const request = toRequest({ ...EMPTY_FORM, gpuCount: 'two', ports: '80, x' });
  assert.deepEqual(request, {
    spec: {
      image: 'busybox:latest',
      resources: { gpuCount: 'two' },
      ports: [{ containerPort: 80 }, { containerPort: 'x' }],
    },
  });
  assert.equal(isRequest(request), false);
});
