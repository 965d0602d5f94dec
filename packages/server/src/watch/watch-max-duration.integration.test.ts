// Every watch stream ends after UTOPIA_WATCH_MAX_MS, cleanly, and resumes where it was.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '../testing/harness.js';
import { mustWatch } from '../testing/watch-client.js';

let t: TestServer;
before(async () => {
  t = await startTestServer('sqlite', { UTOPIA_WATCH_MAX_MS: '500' });
});
after(() => t.close());

test('a stream ends after the maximum duration, and a reconnect resumes from its last id', async () => {
  const token = await t.adminToken();
  const started = Date.now();
  const w = await mustWatch(t, '/api/nodes?watch=1', { token });
  const end = await w.waitFor('the snapshot end', (e) => e.event === 'SNAPSHOT_END');
  await w.ended;
  const took = Date.now() - started;
  assert.ok(took >= 400 && took < 10_000, `ended after ${took} ms`);
  const again = await mustWatch(t, '/api/nodes?watch=1', { token, lastEventId: end.id ?? '' });
  await again.ended;
  assert.ok(!again.events.some((e) => e.event === 'ADDED'), 'a resumed stream sends no list');
});
