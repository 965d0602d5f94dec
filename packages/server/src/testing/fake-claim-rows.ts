import type { AgentContainerInfo } from '@utopia/shared';
import type { Insertable } from 'kysely';
import type { UsersTable } from '../db/schema.js';

/** fakeUserRow is used by tests to insert a claim owner without going through the API. */
export function fakeUserRow(id: string, at: string): Insertable<UsersTable> {
  return {
    id,
    username: `user-${id}`,
    password_hash: 'x',
    role: 'user',
    disabled: 0,
    gpu_quota: null,
    created_at: at,
    updated_at: at,
  };
}

/** fakeContainerInfo is used by tests for one container as an agent lists it. */
export function fakeContainerInfo(id: string, claimId: string, status: string): AgentContainerInfo {
  return {
    id,
    claim_id: claimId,
    image: 'busybox:latest',
    status,
    gpu_ids: [0],
    ports: {},
    created: 1,
    started: 1,
    labels: {},
    exit_code: status === 'exited' ? 137 : null,
    finished: null,
    error: null,
  };
}
