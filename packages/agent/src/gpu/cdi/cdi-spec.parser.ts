import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { CdiSpec, type CdiContainerEdits } from './cdi-spec.schema.js';

/** CDI_SPEC_VERSIONS is used to accept the spec versions the reference library knows (specs-go/version.go). */
export const CDI_SPEC_VERSIONS: readonly string[] = [
  '0.1.0',
  '0.2.0',
  '0.3.0',
  '0.4.0',
  '0.5.0',
  '0.6.0',
  '0.7.0',
  '0.8.0',
  '1.0.0',
  '1.1.0',
];

/** CdiParseResult is used to hand back a valid spec, or why the file is refused. */
export type CdiParseResult = { ok: true; spec: CdiSpec } | { ok: false; reason: string };

// Same character rules as the reference parser (pkg/parser/parser.go).
const VENDOR_OR_CLASS = /^[A-Za-z]([A-Za-z0-9_.-]*[A-Za-z0-9])?$/;
const DEVICE_NAME = /^[A-Za-z0-9]([A-Za-z0-9_.:-]*[A-Za-z0-9])?$/;

/**
 * parseCdiSpec is used to read one spec file's text: JSON for `.json` files, YAML otherwise
 * (YAML 1.2 also reads JSON). Whatever the text, it answers a result, never throws.
 */
export function parseCdiSpec(text: string, fileName: string): CdiParseResult {
  let data: unknown;
  try {
    data = fileName.endsWith('.json')
      ? JSON.parse(text)
      : parseYaml(text, { maxAliasCount: 100, uniqueKeys: true });
  } catch (err) {
    const what = fileName.endsWith('.json') ? 'JSON' : 'YAML';
    return { ok: false, reason: `not valid ${what}: ${firstLine(err)}` };
  }
  if (!Value.Check(CdiSpec, data)) {
    const first = Value.Errors(CdiSpec, data).First();
    const at = first?.path === '' || first === undefined ? '(top level)' : first.path;
    return { ok: false, reason: `not a CDI spec: ${at}: ${first?.message ?? 'invalid'}` };
  }
  const problem = checkSpec(data);
  return problem === undefined ? { ok: true, spec: data } : { ok: false, reason: problem };
}

function checkSpec(spec: CdiSpec): string | undefined {
  const version = spec.cdiVersion.replace(/^v/, '');
  if (!CDI_SPEC_VERSIONS.includes(version)) {
    return `cdiVersion '${spec.cdiVersion}' is not a known CDI spec version (${CDI_SPEC_VERSIONS.join(', ')})`;
  }
  const [vendor, cls, extra] = spec.kind.split('/');
  if (extra !== undefined || !vendor || !cls || !VENDOR_OR_CLASS.test(vendor)) {
    return `kind '${spec.kind}' is not <vendor>/<class> (e.g. nvidia.com/gpu)`;
  }
  if (!VENDOR_OR_CLASS.test(cls)) return `kind '${spec.kind}': class '${cls}' is not valid`;
  const seen = new Set<string>();
  for (const d of spec.devices) {
    if (!DEVICE_NAME.test(d.name)) return `device name '${d.name}' is not valid`;
    if (seen.has(d.name)) return `device '${d.name}' is defined twice`;
    seen.add(d.name);
    if (isEmptyEdits(d.containerEdits)) return `device '${d.name}' has no container edits`;
    const bad = checkEdits(d.containerEdits);
    if (bad) return `device '${d.name}': ${bad}`;
  }
  return spec.containerEdits ? checkEdits(spec.containerEdits) : undefined;
}

function checkEdits(edits: CdiContainerEdits): string | undefined {
  for (const e of edits.env ?? []) {
    if (!/^[^=\0]+=/.test(e) || e.includes('\0')) return `env entry '${e}' is not NAME=value`;
  }
  for (const n of edits.deviceNodes ?? []) {
    if (!isAbsolute(n.path)) return `device node path '${n.path}' is not absolute`;
    if (n.hostPath !== undefined && !isAbsolute(n.hostPath)) {
      return `device node hostPath '${n.hostPath}' is not absolute`;
    }
  }
  for (const m of edits.mounts ?? []) {
    if (!isAbsolute(m.containerPath))
      return `mount containerPath '${m.containerPath}' is not absolute`;
  }
  return undefined;
}

function isEmptyEdits(e: CdiContainerEdits): boolean {
  const lists = [e.env, e.deviceNodes, e.hooks, e.mounts, e.additionalGids];
  return lists.every((l) => l === undefined || l.length === 0);
}

function isAbsolute(path: string): boolean {
  return path.startsWith('/') && !path.includes('\0');
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] ?? text;
}
