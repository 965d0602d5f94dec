import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Type } from '@sinclair/typebox';
import { ClaimSpec, isText, Text } from '@utopia/shared';
import { assertSafeStrings, isAllowListPattern, unsafeStrings } from './string-guard.js';

describe('string guard', () => {
  test('allow-list patterns name every character they match', () => {
    for (const p of ['^[A-Za-z0-9_-]+$', '^[a-z0-9]+(?:[._]|__|-+)?$', '^a\\.b\\d{2}\\w*$']) {
      assert.equal(isAllowListPattern(p), true, p);
    }
  });

  test('patterns that can match NUL or a surrogate are not allow-lists', () => {
    for (const p of ['^[^=]+=', '^.*$', '^\\S+$', '^[\\W]$', '^\\p{L}+$', '^\\u0000$', '^é$']) {
      assert.equal(isAllowListPattern(p), false, p);
    }
  });

  test('a Text field refuses NUL (pattern) and lone surrogates (format), nothing else', () => {
    const pattern = new RegExp(Text({ maxLength: 10 }).pattern ?? '', 'u');
    const accepts = (s: string) => pattern.test(s) && isText(s);
    for (const ok of ['', 'plain', '🚀 tab\t', 'é\n\u0001']) assert.equal(accepts(ok), true, ok);
    for (const bad of ['a\u0000', '\uD800', 'x\uDFFFy', '\uDE00\uD83D', 'a'.repeat(11)])
      assert.equal(accepts(bad), false, JSON.stringify(bad));
  });

  test('finds the unguarded or unbounded strings of a schema, by JSON pointer', () => {
    const schema = Type.Object({
      ok: Text({ maxLength: 5 }),
      free: Type.String({ maxLength: 5 }),
      unbounded: Type.String({ pattern: '^[a-z]+$' }),
      list: Type.Array(Type.String()),
      role: Type.Literal('admin'),
    });
    assert.deepEqual(unsafeStrings(schema), [
      '/properties/free',
      '/properties/unbounded',
      '/properties/list/items',
    ]);
    assert.throws(() => assertSafeStrings(schema, 'POST /x body'), /POST \/x body/);
  });

  test('the claim spec, with its free keys, passes', () => {
    assert.deepEqual(unsafeStrings(ClaimSpec), []);
  });
});
