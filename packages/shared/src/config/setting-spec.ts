/** SettingSpec is used to describe one setting once, for the loader, `--help` and the docs. */
export interface SettingSpec<K extends string = string> {
  /** key is the setting's name in the config file. */
  readonly key: K;
  /** env is the environment variable, e.g. UTOPIA_PORT. */
  readonly env: string;
  /** flag is the command-line flag, e.g. --port. */
  readonly flag: string;
  /** defaultText is how `--help` shows the default; the program's mapping applies it. */
  readonly defaultText: string;
  readonly description: string;
}

/** RawSettings is used to carry the merged, not yet parsed, string value of each given setting. */
export type RawSettings<K extends string> = Partial<Record<K, string>>;

/** LOG_LEVELS lists the log levels both programs accept (pino's, with `silent` for none). */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

/** LogLevel is used to choose how much a program logs. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** LOG_LEVELS_TEXT is used as the description of each program's log-level setting. */
export const LOG_LEVELS_TEXT = `${LOG_LEVELS.slice(0, -1).join(', ')} or ${LOG_LEVELS.at(-1) ?? ''}`;
