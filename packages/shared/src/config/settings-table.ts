import { resolve } from 'node:path';
import { ConfigError } from './config-error.js';
import { readConfigFile } from './config-file.js';
import { LOG_LEVELS, type LogLevel, type RawSettings, type SettingSpec } from './setting-spec.js';

/** SettingsTableOptions is used to name the program and its config-file variable in messages. */
export interface SettingsTableOptions {
  /** program is the command name, e.g. utopia-server. */
  readonly program: string;
  /** configEnv is the environment variable naming the config file, e.g. UTOPIA_CONFIG. */
  readonly configEnv: string;
}

/**
 * SettingsTable is used by each program to load its settings: defaults < config file <
 * environment < flags. It hands back raw strings; the program maps them into its typed config
 * with the parsers below, which name a bad setting by key, flag and environment variable.
 */
export class SettingsTable<K extends string> {
  readonly specs: readonly SettingSpec<K>[];
  readonly #options: SettingsTableOptions;
  readonly #byKey: ReadonlyMap<string, SettingSpec<K>>;
  readonly #byFlag: ReadonlyMap<string, SettingSpec<K>>;

  constructor(specs: readonly SettingSpec<K>[], options: SettingsTableOptions) {
    this.specs = specs;
    this.#options = options;
    this.#byKey = new Map(specs.map((s) => [s.key, s]));
    this.#byFlag = new Map(specs.map((s) => [s.flag, s]));
  }

  /** isKey is used to tell a known config-file key from an unknown one. */
  isKey(key: string): key is K {
    return this.#byKey.has(key);
  }

  /** load is used to merge config file < environment < flags; an empty variable is not given. */
  load(argv: readonly string[], env: NodeJS.ProcessEnv, cwd: string): RawSettings<K> {
    const flags = this.#parseFlags(argv);
    const configPath = flags.config ?? env[this.#options.configEnv];
    const raw: RawSettings<K> = configPath
      ? readConfigFile(resolve(cwd, configPath), (key) => this.isKey(key))
      : {};
    for (const s of this.specs) {
      const fromEnv = env[s.env];
      if (fromEnv !== undefined && fromEnv !== '') raw[s.key] = fromEnv;
      const fromFlag = flags.values.get(s.key);
      if (fromFlag !== undefined) raw[s.key] = fromFlag;
    }
    return raw;
  }

  /** error is used to report a bad setting the three ways an operator may have given it. */
  error(key: K, problem: string): ConfigError {
    const spec = this.#byKey.get(key);
    const where = spec ? ` (${spec.flag}, ${spec.env})` : '';
    return new ConfigError(`${key}${where}: ${problem}`);
  }

  /** integer is used to parse a whole number within min..max. */
  integer(key: K, value: string, min: number, max: number): number {
    const text = value.trim();
    if (!/^-?\d+$/.test(text)) throw this.error(key, `'${value}' is not an integer`);
    const n = Number(text);
    if (n < min || n > max) throw this.error(key, `${n} is outside ${min}..${max}`);
    return n;
  }

  /** oneOf is used to parse one of a fixed list of words. */
  oneOf<T extends string>(key: K, value: string, allowed: readonly T[]): T {
    const found = allowed.find((a) => a === value);
    if (found === undefined) {
      throw this.error(key, `'${value}' is not one of ${allowed.join(', ')}`);
    }
    return found;
  }

  /** logLevel is used to parse a log level; both programs accept the same list. */
  logLevel(key: K, value: string): LogLevel {
    return this.oneOf(key, value, LOG_LEVELS);
  }

  /** renderHelp is used to print `--help`: the intro, every setting, then the other options. */
  renderHelp(intro: readonly string[], otherOptions: readonly string[]): string {
    const { program, configEnv } = this.#options;
    const lines = [`Usage: ${program} [--config FILE] [--flag value ...]`, '', ...intro, ''];
    for (const s of this.specs) {
      lines.push(`  ${s.flag} VALUE  (env ${s.env}; file key ${s.key})`);
      lines.push(`      ${s.description}. Default: ${s.defaultText}`);
    }
    lines.push('', `  --config FILE  (env ${configEnv})`, ...otherOptions.map((o) => `  ${o}`));
    return lines.join('\n');
  }

  // Flags come as `--flag value` or `--flag=value`; an unknown one is an error, not ignored.
  #parseFlags(argv: readonly string[]): { config?: string; values: Map<K, string> } {
    const values = new Map<K, string>();
    let config: string | undefined;
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] ?? '';
      const eq = arg.indexOf('=');
      const name = eq >= 0 ? arg.slice(0, eq) : arg;
      const spec = this.#byFlag.get(name);
      if (name !== '--config' && spec === undefined) {
        throw new ConfigError(`unknown option '${name}' (see ${this.#options.program} --help)`);
      }
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw new ConfigError(`option '${name}' needs a value`);
      if (spec === undefined) config = value;
      else values.set(spec.key, value);
    }
    return config === undefined ? { values } : { config, values };
  }
}
