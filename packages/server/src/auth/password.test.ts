import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from './password.js';
import { constantTimeEqual } from './secrets.js';

test('a password verifies against its own hash only', async () => {
  const hash = await hashPassword('correct horse');
  assert.match(hash, /^scrypt\$32768\$8\$1\$/);
  assert.equal(await verifyPassword('correct horse', hash), true);
  assert.equal(await verifyPassword('correct horsf', hash), false);
  assert.equal(await verifyPassword('correct horse', 'bcrypt$whatever'), false);
});

test('two hashes of one password differ (salted)', async () => {
  assert.notEqual(await hashPassword('same'), await hashPassword('same'));
});

test('constantTimeEqual compares values of any length', () => {
  assert.equal(constantTimeEqual('abc', 'abc'), true);
  assert.equal(constantTimeEqual('abc', 'abcd'), false);
  assert.equal(constantTimeEqual('', 'x'), false);
});
