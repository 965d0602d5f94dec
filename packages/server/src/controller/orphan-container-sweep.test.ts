// planSweep: a node's container list against the claims bound to it. Table cases: what is a
// suspect orphan, and which Running claims are woken because their container stopped or is gone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentContainerInfo } from '@utopia/shared';
import type { ClaimPlacement } from '../claims/claims.repository.js';
import { fakeContainerInfo } from '../testing/fake-claim-rows.js';
import { planSweep } from './orphan-container-sweep.js';

const container = (id: string, claimId: string, status = 'running'): AgentContainerInfo =>
  fakeContainerInfo(id, claimId, status);
// The node's containers were listed at LISTED_AT; claims were last written before, unless given.
const LISTED_AT = '2026-12-01T10:00:05.000Z';
const claim = (
  id: string,
  phase: ClaimPlacement['phase'],
  containerId: string | null,
  updatedAt = '2026-12-01T10:00:00.000Z',
): ClaimPlacement => ({
  id,
  node_id: 'n1',
  phase,
  container_id: containerId,
  updated_at: updatedAt,
});

interface Case {
  name: string;
  containers: AgentContainerInfo[];
  bound: ClaimPlacement[];
  suspects: string[];
  wake: string[];
}

const cases: Case[] = [
  { name: 'an idle node: nothing', containers: [], bound: [], suspects: [], wake: [] },
  {
    name: 'every Running claim has its live container: nothing',
    containers: [container('c1', 'a'), container('c2', 'b', 'restarting')],
    bound: [claim('a', 'Running', 'c1'), claim('b', 'Running', 'c2')],
    suspects: [],
    wake: [],
  },
  {
    name: "a Running claim's container exited: woken",
    containers: [container('c1', 'a', 'exited')],
    bound: [claim('a', 'Running', 'c1')],
    suspects: [],
    wake: ['a'],
  },
  {
    name: "a Running claim's container is gone: woken",
    containers: [],
    bound: [claim('a', 'Running', 'c1')],
    suspects: [],
    wake: ['a'],
  },
  {
    name: 'a Running claim whose listed container is another of its own: woken, not a suspect',
    containers: [container('c0', 'a', 'exited')],
    bound: [claim('a', 'Running', 'c1')],
    suspects: [],
    wake: ['a'],
  },
  {
    name: 'a Scheduled claim without its container yet: not woken (its reconcile is creating it)',
    containers: [],
    bound: [claim('a', 'Scheduled', null), claim('b', 'Terminating', 'c2')],
    suspects: [],
    wake: [],
  },
  {
    name: 'a claim that became Running after the list was asked for: left to the next round',
    containers: [container('c1', 'a')],
    bound: [claim('a', 'Running', 'c1'), claim('b', 'Running', 'c2', '2026-12-01T10:00:05.010Z')],
    suspects: [],
    wake: [],
  },
  {
    name: 'a container of a claim not bound here: a suspect',
    containers: [container('c1', 'a'), container('c9', 'gone')],
    bound: [claim('a', 'Running', 'c1')],
    suspects: ['c9'],
    wake: [],
  },
];

describe('planSweep', () => {
  for (const c of cases) {
    it(c.name, () => {
      const plan = planSweep(c.containers, c.bound, LISTED_AT);
      assert.deepEqual(
        plan.suspects.map((s) => s.id),
        c.suspects,
      );
      assert.deepEqual(plan.wake, c.wake);
    });
  }
});
