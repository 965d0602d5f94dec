// POST /api/gpu-claims inserts go through a group commit: claims created at once share one
// transaction, their rows written together at its end. What must hold whatever the batching: a
// refused create (duplicate name, quota) fails alone, each accepted one is written once with its
// Created event and ADDED change, and a quota counts the creates of the same batch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CreateClaimRequest } from '@utopia/shared';
import type { UserPrincipal } from '../auth/principal.js';
import { createGroupCommit } from '../db/group-commit.js';
import { isAppError } from '../errors.js';
import { startTestServer, testDatabases, type TestServer } from '../testing/harness.js';
import { createClaim } from './claims.service.js';

const SPEC = { image: 'busybox', resources: { gpuCount: 1 }, nodeSelector: { never: 'x' } };

for (const dbKind of testDatabases()) {
  describe(`claim creates in one batch (${dbKind})`, () => {
    let t: TestServer;
    before(async () => {
      t = await startTestServer(dbKind);
    });
    after(async () => {
      await t.close();
    });

    async function principal(username: string, gpuQuota?: number): Promise<UserPrincipal> {
      const { id } = await t.createUser(username, gpuQuota === undefined ? {} : { gpuQuota });
      return { kind: 'user', userId: id, username, role: 'user', via: 'jwt' };
    }

    /** Creates every request in the same tick, through one group commit of their own. */
    async function createAll(owner: UserPrincipal, reqs: CreateClaimRequest[]) {
      const { db, clock } = t.server.ctx;
      const inserts = createGroupCommit(db.kysely);
      return Promise.allSettled(reqs.map((req) => createClaim(db, inserts, clock, owner, req)));
    }

    const codeOf = (r: PromiseSettledResult<unknown>): string =>
      r.status === 'fulfilled' ? 'created' : isAppError(r.reason) ? r.reason.code : 'unexpected';

    async function rowsOf(ownerId: string) {
      const k = t.server.ctx.db.kysely;
      const claims = await k
        .selectFrom('gpu_claims')
        .select(['id', 'name'])
        .where('owner_id', '=', ownerId)
        .execute();
      const ids = claims.map((c) => c.id);
      if (ids.length === 0) return { names: [], created: 0, added: 0 };
      const created = await k
        .selectFrom('events')
        .select('object_id')
        .where('object_id', 'in', ids)
        .where('reason', '=', 'Created')
        .execute();
      const added = await k
        .selectFrom('resource_changes')
        .select('object_id')
        .where('object_id', 'in', ids)
        .where('type', '=', 'ADDED')
        .execute();
      return {
        names: claims.map((c) => c.name).sort(),
        created: created.length,
        added: added.length,
      };
    }

    test('a duplicate name fails alone; the others are written once each', async () => {
      const owner = await principal('batch-names');
      const names = ['a', 'b', 'dup', 'c', 'dup', 'd'];
      const results = await createAll(
        owner,
        names.map((name) => ({ name, spec: SPEC })),
      );
      assert.deepEqual(results.map(codeOf).sort(), [
        'CONFLICT',
        'created',
        'created',
        'created',
        'created',
        'created',
      ]);
      assert.deepEqual(await rowsOf(owner.userId), {
        names: ['a', 'b', 'c', 'd', 'dup'],
        created: 5,
        added: 5,
      });
    });

    test('a quota counts the creates before it in the same batch', async () => {
      const owner = await principal('batch-quota', 3);
      const results = await createAll(
        owner,
        Array.from({ length: 6 }, () => ({ spec: SPEC })),
      );
      assert.deepEqual(results.map(codeOf).sort(), [
        'QUOTA_EXCEEDED',
        'QUOTA_EXCEEDED',
        'QUOTA_EXCEEDED',
        'created',
        'created',
        'created',
      ]);
      const rows = await rowsOf(owner.userId);
      assert.equal(rows.names.length, 3);
      assert.equal(rows.created, 3);
      assert.equal(rows.added, 3);
    });

    test('creates of owners with and without a quota share a batch and all land', async () => {
      const free = await principal('batch-free');
      const capped = await principal('batch-capped', 2);
      const { db, clock } = t.server.ctx;
      const inserts = createGroupCommit(db.kysely);
      const results = await Promise.allSettled(
        [free, capped, free, capped, free, capped].map((owner) =>
          createClaim(db, inserts, clock, owner, { spec: SPEC }),
        ),
      );
      assert.deepEqual(results.map(codeOf), [
        'created',
        'created',
        'created',
        'created',
        'created',
        'QUOTA_EXCEEDED',
      ]);
      assert.equal((await rowsOf(free.userId)).names.length, 3);
      assert.equal((await rowsOf(capped.userId)).names.length, 2);
    });
  });
}
