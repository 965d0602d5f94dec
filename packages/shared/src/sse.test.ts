import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeWatchEvent } from './api/watch.js';
import { formatSse, formatSseComment, SseParser } from './sse.js';

test('a formatted event reads back the same, whatever the data holds', () => {
  const parser = new SseParser();
  const data = 'line one\nline two\r\nline three: with colon';
  const out = parser.push(formatSse({ id: '7', event: 'MODIFIED', data }));
  assert.deepEqual(out, [
    { id: '7', event: 'MODIFIED', data: 'line one\nline two\nline three: with colon' },
  ]);
  assert.equal(parser.lastEventId, '7');
});

test('chunks split anywhere, comments and events without data are skipped', () => {
  const text =
    formatSseComment('ping') +
    formatSse({ event: 'ADDED', data: '{"a":1}' }) +
    'event: empty\n\n' +
    formatSse({ id: '12', event: 'SNAPSHOT_END', data: '{}' });
  const parser = new SseParser();
  const out = [];
  for (const ch of text.replace(/\n/g, '\r\n')) out.push(...parser.push(ch));
  assert.deepEqual(out, [
    { event: 'ADDED', data: '{"a":1}' },
    { id: '12', event: 'SNAPSHOT_END', data: '{}' },
  ]);
  assert.equal(parser.lastEventId, '12');
});

test('an empty id resets the last event id, as EventSource does', () => {
  const parser = new SseParser();
  parser.push(formatSse({ id: '5', event: 'MODIFIED', data: '{}' }));
  parser.push(formatSse({ id: '', event: 'RESYNC', data: '{}' }));
  assert.equal(parser.lastEventId, '');
});

test('ids and event names cannot carry a newline', () => {
  assert.throws(() => formatSse({ id: '1\n', event: 'x', data: '' }));
  assert.throws(() => formatSse({ event: 'x\ny', data: '' }));
});

test('decodeWatchEvent checks the data with the given check', () => {
  const Thing = (v: unknown): v is { id: string } =>
    typeof v === 'object' && v !== null && 'id' in v && typeof v.id === 'string';
  assert.deepEqual(decodeWatchEvent({ id: '3', event: 'ADDED', data: '{"id":"a"}' }, Thing), {
    type: 'ADDED',
    resourceVersion: '3',
    object: { id: 'a' },
  });
  assert.equal(decodeWatchEvent({ event: 'ADDED', data: '{"id":1}' }, Thing), undefined);
  assert.equal(decodeWatchEvent({ event: 'ADDED', data: 'not json' }, Thing), undefined);
  assert.deepEqual(
    decodeWatchEvent({ id: '9', event: 'SNAPSHOT_END', data: '{"resourceVersion":"9"}' }, Thing),
    { type: 'SNAPSHOT_END', resourceVersion: '9' },
  );
  assert.deepEqual(
    decodeWatchEvent({ event: 'RESYNC', data: '{"reason":"Expired","message":"m"}' }, Thing),
    { type: 'RESYNC', reason: 'Expired', message: 'm' },
  );
  assert.equal(decodeWatchEvent({ event: 'OTHER', data: '{}' }, Thing), undefined);
});
