import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ResourceChangeRow } from '../db/schema.js';
import { wantsReconcile } from './change-follower.js';

function row(over: Partial<ResourceChangeRow>): ResourceChangeRow {
  return {
    rv: 1,
    kind: 'GpuClaim',
    object_id: 'c1',
    owner_id: 'u1',
    type: 'MODIFIED',
    object_version: 2,
    object: JSON.stringify({ id: 'c1', deletionRequestedAt: null, status: { phase: 'Running' } }),
    created_at: '2026-12-01T00:00:00.000Z',
    lease_generation: 1,
    ...over,
  };
}

test('only a new claim, a deletion asked for, or a node change wakes the leader; a claim gone is forgotten', () => {
  const deleting = JSON.stringify({ id: 'c1', deletionRequestedAt: '2026-12-01T00:00:01.000Z' });
  const cases: [string, Partial<ResourceChangeRow>, ReturnType<typeof wantsReconcile>][] = [
    ['a claim created on another replica', { type: 'ADDED' }, 'claim'],
    ['a status write of the controller', {}, undefined],
    ['a deletion asked for', { object: deleting }, 'claim'],
    ['a claim gone', { type: 'DELETED' }, 'gone'],
    ['a node registered', { kind: 'Node', type: 'ADDED', owner_id: null }, 'nodes'],
    ['a node labelled', { kind: 'Node', owner_id: null }, 'nodes'],
    ['a node deleted', { kind: 'Node', type: 'DELETED', owner_id: null }, 'nodes'],
  ];
  for (const [what, over, want] of cases) assert.equal(wantsReconcile(row(over)), want, what);
});
