// The settings loader both programs share (Node only, so apart from the wire types in ../index.ts).
export { ConfigError } from './config-error.js';
export { readConfigFile } from './config-file.js';
export {
  LOG_LEVELS,
  LOG_LEVELS_TEXT,
  type LogLevel,
  type RawSettings,
  type SettingSpec,
} from './setting-spec.js';
export { SettingsTable, type SettingsTableOptions } from './settings-table.js';
