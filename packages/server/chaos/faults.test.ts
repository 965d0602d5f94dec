// Which fault kinds a run may draw: dockerd-kill only where the runner started dockerd itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FAULT_WEIGHTS, faultsNotDrawn } from './faults.js';
import type { ServiceHandle } from './services.js';

const ownDockerd: ServiceHandle = {
  name: 'dockerd',
  pid: () => 1234,
  isRunning: () => true,
  start: () => Promise.resolve(),
  kill9: () => Promise.resolve(),
  stop: () => Promise.resolve(),
};

test('a Docker Engine given from outside is never killed: dockerd-kill is left out, and why', () => {
  const out = faultsNotDrawn({ docker: { socket: '/var/run/docker.sock', own: undefined } });
  assert.deepEqual([...out.keys()], ['dockerd-kill']);
  assert.match(out.get('dockerd-kill') ?? '', /\/var\/run\/docker\.sock is not the runner's own/);
});

test("the runner's own dockerd may be killed: every kind is drawn", () => {
  const out = faultsNotDrawn({ docker: { socket: '/tmp/x/docker.sock', own: ownDockerd } });
  assert.equal(out.size, 0);
  assert.ok(FAULT_WEIGHTS.some(([k]) => k === 'dockerd-kill'));
});
