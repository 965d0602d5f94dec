import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderToml, tomlInline, tomlKey, tomlString } from './toml.js';

describe('tomlString', () => {
  it('escapes quotes, backslashes and control characters', () => {
    assert.equal(tomlString('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(tomlString('l1\nl2\r\t'), '"l1\\nl2\\r\\t"');
    assert.equal(tomlString('\u0000\u001f\u007f'), '"\\u0000\\u001F\\u007F"');
  });

  it('escapes braces so frp never sees a Go template action', () => {
    assert.equal(tomlString('{{ .Envs.HOME }}'), '"\\u007B\\u007B .Envs.HOME \\u007D\\u007D"');
  });

  it('keeps other unicode as is', () => {
    assert.equal(tomlString('nœud-é'), '"nœud-é"');
  });
});

describe('tomlKey', () => {
  it('writes bare keys bare and quotes the rest', () => {
    assert.equal(tomlKey('utopia_credential-1'), 'utopia_credential-1');
    assert.equal(tomlKey('a.b'), '"a.b"');
    assert.equal(tomlKey(''), '""');
  });
});

describe('tomlInline', () => {
  it('writes integers, booleans, arrays and inline tables', () => {
    assert.equal(tomlInline(7000), '7000');
    assert.equal(tomlInline(false), 'false');
    assert.equal(tomlInline(['Login', 'NewProxy']), '["Login", "NewProxy"]');
    assert.equal(tomlInline([{ start: 1, end: 2 }]), '[{ start = 1, end = 2 }]');
    assert.equal(tomlInline({}), '{}');
  });

  it('refuses numbers frp could not mean', () => {
    assert.throws(() => tomlInline(1.5), RangeError);
    assert.throws(() => tomlInline(Number.NaN), RangeError);
  });
});

describe('renderToml', () => {
  it('writes nested tables as dotted keys, skips undefined, then table arrays', () => {
    const text = renderToml({
      root: { port: 1, auth: { method: 'token', extra: undefined }, empty: {}, skip: undefined },
      tableArrays: { proxies: [{ name: 'a', meta: { k: 'v' } }, { name: 'b' }] },
    });
    assert.equal(
      text,
      [
        'port = 1',
        'auth.method = "token"',
        '',
        '[[proxies]]',
        'name = "a"',
        'meta.k = "v"',
        '',
        '[[proxies]]',
        'name = "b"',
        '',
      ].join('\n'),
    );
  });
});
