import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-error.js';
import type { RawSettings } from './setting-spec.js';

/**
 * readConfigFile is used to read a YAML or JSON config file (JSON is YAML) into raw settings. The
 * file must be a mapping of known keys to scalars; a null value counts as not given. A nested
 * value is refused rather than stringified, so `port: [80]` never turns into the string "80".
 */
export function readConfigFile<K extends string>(
  path: string,
  isKey: (key: string) => key is K,
): RawSettings<K> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      `config file ${path}: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path}: expected a mapping of setting names to values`);
  }
  const raw: RawSettings<K> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!isKey(key)) throw new ConfigError(`config file ${path}: unknown setting '${key}'`);
    if (value === null || value === undefined) continue;
    if (typeof value === 'object') {
      throw new ConfigError(`config file ${path}: setting '${key}' must be a scalar`);
    }
    raw[key] = String(value);
  }
  return raw;
}
