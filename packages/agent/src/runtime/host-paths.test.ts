import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isAgentError } from '../agent-error.js';
import { parseAllowedHostPaths, resolveHostBind, type AllowedHostPath } from './host-paths.js';

describe('parseAllowedHostPaths', () => {
  const cases: [string, AllowedHostPath[] | RegExp][] = [
    ['', []],
    ['/datasets', [{ path: '/datasets', readOnly: false }]],
    [
      ' /datasets:ro , /scratch/ ',
      [
        { path: '/datasets', readOnly: true },
        { path: '/scratch', readOnly: false },
      ],
    ],
    ['/a/./b/../c', [{ path: '/a/c', readOnly: false }]],
    ['datasets', /not an absolute path/],
    ['/', /every path/],
    ['/x,/', /every path/],
  ];
  for (const [value, want] of cases) {
    it(`'${value}'`, () => {
      const got = parseAllowedHostPaths(value);
      if (want instanceof RegExp) assert.match(String(got), want);
      else assert.deepEqual(got, want);
    });
  }
});

describe('resolveHostBind', () => {
  const root = mkdtempSync(join(tmpdir(), 'storage-hostpaths-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const allowed = join(root, 'allowed');
  const readOnly = join(root, 'ro');
  const outside = join(root, 'outside');
  for (const d of [allowed, join(allowed, 'sub'), readOnly, outside]) mkdirSync(d);
  writeFileSync(join(outside, 'secret'), 'x');
  symlinkSync(outside, join(allowed, 'escape'));
  symlinkSync(join(allowed, 'sub'), join(root, 'link-in'));
  const policy: AllowedHostPath[] = [
    { path: allowed, readOnly: false },
    { path: readOnly, readOnly: true },
  ];
  const bind = (path: string, readOnlyMount = false): ReturnType<typeof resolveHostBind> =>
    resolveHostBind({ path, mountPath: '/mnt', readOnly: readOnlyMount }, policy);
  const refused = async (path: string, why: RegExp, ro = false): Promise<void> => {
    await assert.rejects(bind(path, ro), (e: unknown) => {
      assert.ok(isAgentError(e));
      assert.equal(e.reason, 'HOST_PATH_NOT_ALLOWED');
      assert.equal(e.permanent, true);
      assert.match(e.message, why);
      return true;
    });
  };

  it('an allowed path and a path below it bind their real path', async () => {
    assert.deepEqual(await bind(allowed), { source: allowed, target: '/mnt', readOnly: false });
    assert.equal((await bind(join(allowed, 'sub'))).source, join(allowed, 'sub'));
  });
  it('a path outside the list is refused, naming what is allowed', () =>
    refused(outside, /is not allowed \(this node allows: .*allowed, .*ro:ro\)/));
  it('a sibling with the allowed path as prefix is outside', async () => {
    mkdirSync(`${allowed}-2`, { recursive: true });
    await refused(`${allowed}-2`, /is not allowed/);
  });
  it('a symlink inside an allowed tree that leads out is refused', () =>
    refused(join(allowed, 'escape'), /resolves to .*outside, which is not allowed/));
  it('a symlink from outside that leads into an allowed tree binds its target', async () => {
    assert.equal((await bind(join(root, 'link-in'))).source, join(allowed, 'sub'));
  });
  it('a missing path is refused (Docker would create it as root)', () =>
    refused(join(allowed, 'nope'), /does not exist/));
  it('a read-only entry takes read-only mounts only', async () => {
    await refused(readOnly, /may only be mounted readOnly/);
    assert.equal((await bind(readOnly, true)).readOnly, true);
  });
  it('nothing is allowed by default', async () => {
    await assert.rejects(
      resolveHostBind({ path: allowed, mountPath: '/mnt', readOnly: true }, []),
      /allows: none/,
    );
  });
});
