import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CdiDevice, CdiSpec } from './cdi-spec.schema.js';
import { parseCdiSpec } from './cdi-spec.parser.js';

/** DEFAULT_CDI_SPEC_DIRS is used when no folder is configured: the standard ones, lowest priority first. */
export const DEFAULT_CDI_SPEC_DIRS: readonly string[] = ['/etc/cdi', '/var/run/cdi'];

// A generated spec for 8 GPUs is ~100 KiB; anything this large is not a spec.
const MAX_SPEC_BYTES = 4 * 1024 * 1024;

/** CdiRegisteredDevice is used for one device found in a spec file, with its spec. */
export interface CdiRegisteredDevice {
  /** Fully qualified: `<kind>=<name>`, e.g. nvidia.com/gpu=0. */
  qualifiedName: string;
  device: CdiDevice;
  spec: CdiSpec;
  file: string;
}

/** CdiRegistry is used to look devices up by qualified name, with what could not be read. */
export interface CdiRegistry {
  readonly dirs: readonly string[];
  readonly devices: ReadonlyMap<string, CdiRegisteredDevice>;
  /** Spec files that were read and are valid. */
  readonly specFiles: readonly string[];
  /** `<file>: <why>` for every file refused, and every device name two files claim. */
  readonly problems: readonly string[];
}

/**
 * loadCdiRegistry is used to read every `.json` / `.yaml` spec in the folders, as CDI consumers
 * do: a later folder takes priority over an earlier one (so /var/run/cdi, written at run time,
 * wins over /etc/cdi), and a device that two files in one folder define is refused, not guessed.
 * A missing folder is no error; a bad file, or one (or a folder) that group or others may write,
 * is skipped and named in `problems`.
 */
export async function loadCdiRegistry(dirs: readonly string[]): Promise<CdiRegistry> {
  const devices = new Map<string, CdiRegisteredDevice>();
  const specFiles: string[] = [];
  const problems: string[] = [];
  for (const dir of dirs) {
    const inDir = new Map<string, CdiRegisteredDevice>();
    const conflicts = new Set<string>();
    for (const file of await specFilesIn(dir, problems)) {
      const spec = await readSpec(file, problems);
      if (!spec) continue;
      specFiles.push(file);
      for (const device of spec.devices) {
        const qualifiedName = `${spec.kind}=${device.name}`;
        const other = inDir.get(qualifiedName);
        if (other) {
          conflicts.add(qualifiedName);
          problems.push(`${file}: device ${qualifiedName} is also defined in ${other.file}`);
        }
        inDir.set(qualifiedName, { qualifiedName, device, spec, file });
      }
    }
    for (const [name, entry] of inDir) {
      if (conflicts.has(name)) devices.delete(name);
      else devices.set(name, entry);
    }
  }
  return { dirs, devices, specFiles, problems };
}

async function specFilesIn(dir: string, problems: string[]): Promise<string[]> {
  try {
    // A spec can bind any host path into GPU containers: a folder others may write is not read.
    if (((await stat(dir)).mode & 0o022) !== 0) {
      problems.push(`${dir}: writable by group or others, not read`);
      return [];
    }
    const names = await readdir(dir);
    return names
      .filter((n) => n.endsWith('.json') || n.endsWith('.yaml'))
      .sort()
      .map((n) => join(dir, n));
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return [];
    problems.push(`${dir}: cannot be read (${errText(err)})`);
    return [];
  }
}

async function readSpec(file: string, problems: string[]): Promise<CdiSpec | undefined> {
  try {
    // stat follows a symlink: a linked spec (nvidia.yaml → a generated file) is common.
    const info = await stat(file);
    if (!info.isFile()) return undefined;
    if ((info.mode & 0o022) !== 0) {
      problems.push(`${file}: writable by group or others, not read`);
      return undefined;
    }
    if (info.size > MAX_SPEC_BYTES) {
      problems.push(`${file}: larger than ${MAX_SPEC_BYTES} bytes, not read`);
      return undefined;
    }
    const text = await readFile(file, 'utf8');
    const parsed = parseCdiSpec(text, file);
    if (parsed.ok) return parsed.spec;
    problems.push(`${file}: ${parsed.reason}`);
  } catch (err) {
    problems.push(`${file}: cannot be read (${errText(err)})`);
  }
  return undefined;
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && 'code' in err && err.code === code;
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
