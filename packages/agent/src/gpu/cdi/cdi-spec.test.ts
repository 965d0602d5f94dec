import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { parseCdiSpec, type CdiParseResult } from './cdi-spec.parser.js';
import type { CdiSpec } from './cdi-spec.schema.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

function fixture(name: string): CdiParseResult {
  return parseCdiSpec(readFileSync(join(FIXTURES, name), 'utf8'), name);
}

function valid(name: string): CdiSpec {
  const parsed = fixture(name);
  assert.ok(parsed.ok, parsed.ok ? '' : parsed.reason);
  return parsed.spec;
}

test('real specs: nvidia-ctk generate output (0.5.0 YAML) is read whole', () => {
  const spec = valid('nvidia-ctk-generate-default.yaml');
  assert.equal(spec.cdiVersion, '0.5.0');
  assert.equal(spec.kind, 'example.com/device');
  assert.deepEqual(
    spec.devices.map((d) => d.name),
    ['0', 'all'],
  );
  assert.deepEqual(spec.containerEdits?.env, [
    'NVIDIA_CTK_LIBCUDA_DIR=/lib/x86_64-linux-gnu',
    'NVIDIA_VISIBLE_DEVICES=void',
  ]);
  assert.deepEqual(spec.containerEdits?.deviceNodes, [
    { path: '/dev/nvidiactl', hostPath: '/driver-root/dev/nvidiactl' },
  ]);
  assert.equal(spec.containerEdits?.hooks?.length, 5);
  assert.equal(
    spec.containerEdits?.mounts?.[0]?.hostPath,
    '/driver-root/lib/x86_64-linux-gnu/libcuda.so.999.88.77',
  );
  assert.deepEqual(spec.containerEdits?.mounts?.[0]?.options, [
    'ro',
    'nosuid',
    'nodev',
    'rbind',
    'rprivate',
  ]);
});

test('real specs: every CDI version in use, in YAML and JSON', () => {
  const versions = [
    ['nvidia-ctk-spec-0.8.0.yaml', '0.8.0', 'nvidia.com/gpu'],
    ['nvidia-ctk-generate-chmod-hook.yaml', '0.5.0', 'example.com/device'],
    ['cncf-readme-vendor.json', '0.6.0', 'vendor.com/device'],
    ['cncf-tutorial-sensor.yaml', '1.1.0', 'tutorial.cdi.cncf.io/sensor'],
  ] as const;
  for (const [file, version, kind] of versions) {
    const spec = valid(file);
    assert.equal(spec.cdiVersion, version, file);
    assert.equal(spec.kind, kind, file);
  }
  const json = valid('cncf-readme-vendor.json');
  assert.deepEqual(json.devices[0]?.containerEdits.deviceNodes?.[0], {
    hostPath: '/vendor/dev/card1',
    path: '/dev/card1',
    type: 'c',
    major: 25,
    minor: 25,
    fileMode: 384,
    permissions: 'rw',
    uid: 1000,
    gid: 1000,
  });
});

test('a real but broken spec (the CDI README annotation example) is refused with the reason', () => {
  const parsed = fixture('cncf-readme-vendor-annotations.bad.json');
  assert.equal(parsed.ok, false);
  if (!parsed.ok) assert.match(parsed.reason, /^not valid JSON: /);
});

// Constructed inputs below: each breaks one rule, to show the refusal names it.
test('bad specs are refused with a reason that names the rule, never thrown', () => {
  const device = 'devices:\n  - name: "0"\n    containerEdits:\n      env: ["A=1"]\n';
  const cases: Array<[string, string, RegExp]> = [
    ['x.yaml', '', /not a CDI spec: \(top level\)/],
    ['x.yaml', 'just text', /not a CDI spec/],
    [
      'x.yaml',
      `cdiVersion: 0.0.0\nkind: nvidia.com/gpu\n${device}`,
      /cdiVersion '0.0.0' is not a known/,
    ],
    [
      'x.yaml',
      `cdiVersion: 0.5.0\nkind: nvidia.com\n${device}`,
      /kind 'nvidia.com' is not <vendor>\/<class>/,
    ],
    ['x.yaml', `cdiVersion: 0.5.0\nkind: 1vendor/gpu\n${device}`, /kind '1vendor\/gpu'/],
    ['x.yaml', 'cdiVersion: 0.5.0\nkind: a.com/gpu\ndevices: []\n', /devices/],
    [
      'x.yaml',
      'cdiVersion: 0.5.0\nkind: a.com/gpu\ndevices:\n  - name: "0"\n    containerEdits: {}\n',
      /device '0' has no container edits/,
    ],
    ['x.yaml', `cdiVersion: 0.5.0\nkind: a.com/gpu\n${device}${device.slice(9)}`, /defined twice/],
    [
      'x.yaml',
      'cdiVersion: 0.5.0\nkind: a.com/gpu\ndevices:\n  - name: "-x"\n    containerEdits:\n      env: ["A=1"]\n',
      /device name '-x' is not valid/,
    ],
    [
      'x.yaml',
      'cdiVersion: 0.5.0\nkind: a.com/gpu\ndevices:\n  - name: "0"\n    containerEdits:\n      deviceNodes: [{path: dev/x}]\n',
      /not absolute/,
    ],
    [
      'x.yaml',
      'cdiVersion: 0.5.0\nkind: a.com/gpu\ndevices:\n  - name: "0"\n    containerEdits:\n      env: ["NOEQUALS"]\n',
      /env entry 'NOEQUALS'/,
    ],
    ['x.yaml', 'a: &a [1]\nb: &b [*a, *a]\nc: [*b, *b]\nkind: x\n', /not a CDI spec/],
    ['x.yaml', 'kind: a\nkind: b\n', /not valid YAML/],
    [
      'x.json',
      '{"cdiVersion": 5, "kind": "a.com/b", "devices": [{"name": "0", "containerEdits": {}}]}',
      /not a CDI spec: \/cdiVersion: Expected string/,
    ],
  ];
  for (const [name, text, reason] of cases) {
    const parsed = parseCdiSpec(text, name);
    assert.equal(parsed.ok, false, text);
    if (!parsed.ok) assert.match(parsed.reason, reason, text);
  }
});

test('a YAML alias bomb is refused, not expanded', () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 12; i++)
    lines.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  const parsed = parseCdiSpec(lines.join('\n'), 'bomb.yaml');
  assert.equal(parsed.ok, false);
  if (!parsed.ok) assert.match(parsed.reason, /not valid YAML/);
});

test('the fixtures are the copies the README names (no formatter or hand touched them)', () => {
  const readme = readFileSync(join(FIXTURES, 'README.md'), 'utf8');
  const sums = [...readme.matchAll(/^([0-9a-f]{64}) {2}(\S+)$/gm)];
  assert.equal(sums.length, 6);
  for (const [, sum, file] of sums) {
    const actual = createHash('sha256')
      .update(readFileSync(join(FIXTURES, file ?? '')))
      .digest('hex');
    assert.equal(actual, sum, file);
  }
});
