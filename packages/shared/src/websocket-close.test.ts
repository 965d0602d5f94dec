import assert from 'node:assert/strict';
import { test } from 'node:test';
import { toCloseReason } from './websocket-close.js';

const byteLength = (text: string): number => new TextEncoder().encode(text).length;

test('a short reason is kept; a long one is cut to 123 bytes on a character boundary', () => {
  assert.equal(toCloseReason('bye'), 'bye');
  assert.equal(byteLength(toCloseReason('x'.repeat(500))), 123);
  const cut = toCloseReason('é'.repeat(100));
  assert.equal(byteLength(cut), 122);
  assert.equal(cut, 'é'.repeat(61));
});
