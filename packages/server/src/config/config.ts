import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { SERVER_SETTINGS, type SettingKey } from './settings.js';

/** ServerConfig is used to carry every validated server setting. */
export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  adminPassword: string | undefined;
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
  jwtTtlSeconds: number;
  bodyLimitBytes: number;
  loginMaxFailures: number;
  loginMaxPerAddress: number;
  loginWindowSeconds: number;
  schedulingPolicy: 'best-fit' | 'first-fit';
  localAgentGpus: number;
  reconcileConcurrency: number;
  resyncIntervalMs: number;
  runningCheckMs: number;
  restartBackoffMs: number;
  agentTimeoutMs: number;
  nodePollIntervalMs: number;
  nodeGraceMs: number;
  leaseDurationMs: number;
  watch: WatchConfig;
  frp: FrpConfig;
}

/** WatchConfig is used for watch streams and the change log behind them. */
export interface WatchConfig {
  pollMs: number;
  heartbeatMs: number;
  settleMs: number;
  stallMs: number;
  retentionSeconds: number;
  maxChanges: number;
}

/** FrpConfig is used for the frp tunnel settings. */
export interface FrpConfig {
  mode: 'off' | 'supervised' | 'external';
  bindPort: number;
  allowPorts: { start: number; end: number };
  frpsBin: string | undefined;
  adminUrl: string | undefined;
  adminUser: string;
  adminPassword: string | undefined;
  token: string | undefined;
}

/** ConfigError is used to stop the server at start with a message that names the bad setting. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type RawSettings = Partial<Record<SettingKey, string>>;

/** loadConfig is used to merge defaults < config file < environment < flags into a ServerConfig. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
  const flags = parseFlags(argv);
  const configPath = flags.config ?? env.UTOPIA_CONFIG;
  const raw: RawSettings = configPath ? readConfigFile(configPath) : {};
  for (const s of SERVER_SETTINGS) {
    const fromEnv = env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') raw[s.key] = fromEnv;
    const fromFlag = flags.values.get(s.flag);
    if (fromFlag !== undefined) raw[s.key] = fromFlag;
  }
  return validate(raw);
}

function parseFlags(argv: readonly string[]): { config?: string; values: Map<string, string> } {
  const known = new Set<string>(SERVER_SETTINGS.map((s) => s.flag));
  const values = new Map<string, string>();
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const [name, inline] = arg.includes('=') ? splitOnce(arg) : [arg, undefined];
    if (name !== '--config' && !known.has(name)) {
      throw new ConfigError(`unknown option '${name}' (see utopia-server --help)`);
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`option '${name}' needs a value`);
    if (name === '--config') config = value;
    else values.set(name, value);
  }
  return config === undefined ? { values } : { config, values };
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=');
  return [arg.slice(0, at), arg.slice(at + 1)];
}

function readConfigFile(path: string): RawSettings {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError(`config file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path}: expected a mapping of setting names to values`);
  }
  const raw: RawSettings = {};
  const keys = new Set<string>(SERVER_SETTINGS.map((s) => s.key));
  for (const [key, value] of Object.entries(parsed)) {
    if (!isSettingKey(key, keys))
      throw new ConfigError(`config file ${path}: unknown setting '${key}'`);
    raw[key] = String(value);
  }
  return raw;
}

function isSettingKey(key: string, keys: Set<string>): key is SettingKey {
  return keys.has(key);
}

function validate(raw: RawSettings): ServerConfig {
  const dataDir = resolve(raw.dataDir ?? './data');
  const databaseUrl = raw.databaseUrl ?? `sqlite://${resolve(dataDir, 'utopia.db')}`;
  if (!/^(sqlite|mysql):\/\//.test(databaseUrl)) {
    throw new ConfigError('UTOPIA_DATABASE_URL must start with sqlite:// or mysql://');
  }
  return {
    host: raw.host ?? '0.0.0.0',
    port: int(raw.port, 'UTOPIA_PORT', 8080, 0, 65535),
    dataDir,
    databaseUrl,
    adminPassword: password(raw.adminPassword),
    logLevel: oneOf(raw.logLevel, 'UTOPIA_LOG_LEVEL', 'info', [
      'trace',
      'debug',
      'info',
      'warn',
      'error',
      'fatal',
    ] as const),
    jwtTtlSeconds: int(raw.jwtTtlSeconds, 'UTOPIA_JWT_TTL_SECONDS', 3600, 60, 86400 * 7),
    bodyLimitBytes: int(raw.bodyLimitBytes, 'UTOPIA_BODY_LIMIT_BYTES', 1048576, 1024, 64 << 20),
    loginMaxFailures: int(raw.loginMaxFailures, 'UTOPIA_LOGIN_MAX_FAILURES', 5, 1, 1000),
    loginMaxPerAddress: int(raw.loginMaxPerAddress, 'UTOPIA_LOGIN_MAX_PER_ADDRESS', 30, 1, 100000),
    loginWindowSeconds: int(raw.loginWindowSeconds, 'UTOPIA_LOGIN_WINDOW_SECONDS', 900, 1, 86400),
    schedulingPolicy: oneOf(raw.schedulingPolicy, 'UTOPIA_SCHEDULING_POLICY', 'best-fit', [
      'best-fit',
      'first-fit',
    ] as const),
    localAgentGpus: localAgent(raw.localAgent),
    reconcileConcurrency: int(raw.reconcileConcurrency, 'UTOPIA_RECONCILE_CONCURRENCY', 8, 1, 256),
    resyncIntervalMs: int(
      raw.resyncIntervalMs,
      'UTOPIA_RESYNC_INTERVAL_MS',
      30_000,
      100,
      3_600_000,
    ),
    runningCheckMs: int(raw.runningCheckMs, 'UTOPIA_RUNNING_CHECK_MS', 10_000, 50, 3_600_000),
    restartBackoffMs: int(raw.restartBackoffMs, 'UTOPIA_RESTART_BACKOFF_MS', 1000, 10, 300_000),
    agentTimeoutMs: int(raw.agentTimeoutMs, 'UTOPIA_AGENT_TIMEOUT_MS', 10_000, 100, 300_000),
    nodePollIntervalMs: int(
      raw.nodePollIntervalMs,
      'UTOPIA_NODE_POLL_INTERVAL_MS',
      5000,
      50,
      600_000,
    ),
    nodeGraceMs: int(raw.nodeGraceMs, 'UTOPIA_NODE_GRACE_MS', 30_000, 100, 3_600_000),
    leaseDurationMs: int(raw.leaseDurationMs, 'UTOPIA_LEASE_DURATION_MS', 15_000, 1000, 600_000),
    watch: watchConfig(raw),
    frp: frpConfig(raw),
  };
}

function int(
  value: string | undefined,
  name: string,
  dflt: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return dflt;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got '${value}'`);
  }
  return n;
}

function oneOf<T extends string>(
  value: string | undefined,
  name: string,
  dflt: T,
  allowed: readonly T[],
): T {
  if (value === undefined) return dflt;
  const found = allowed.find((a) => a === value);
  if (found === undefined)
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got '${value}'`);
  return found;
}

function password(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length < 8)
    throw new ConfigError('UTOPIA_ADMIN_PASSWORD must be at least 8 characters');
  return value;
}

function localAgent(value: string | undefined): number {
  if (value === undefined || value === 'false' || value === '0') return 0;
  if (value === 'true') return 4;
  return int(value, 'UTOPIA_LOCAL_AGENT', 0, 0, 64);
}

function watchConfig(raw: RawSettings): WatchConfig {
  return {
    pollMs: int(raw.watchPollMs, 'UTOPIA_WATCH_POLL_MS', 200, 10, 60_000),
    heartbeatMs: int(raw.watchHeartbeatMs, 'UTOPIA_WATCH_HEARTBEAT_MS', 15_000, 50, 600_000),
    settleMs: int(raw.watchSettleMs, 'UTOPIA_WATCH_SETTLE_MS', 2000, 0, 600_000),
    stallMs: int(raw.watchStallMs, 'UTOPIA_WATCH_STALL_MS', 30_000, 100, 3_600_000),
    retentionSeconds: int(
      raw.watchRetentionSeconds,
      'UTOPIA_WATCH_RETENTION_SECONDS',
      3600,
      60,
      30 * 86400,
    ),
    maxChanges: int(raw.watchMaxChanges, 'UTOPIA_WATCH_MAX_CHANGES', 100_000, 1000, 100_000_000),
  };
}

function frpConfig(raw: RawSettings): FrpConfig {
  const mode = oneOf(raw.frpMode, 'UTOPIA_FRP_MODE', 'off', [
    'off',
    'supervised',
    'external',
  ] as const);
  const range = /^(\d+)-(\d+)$/.exec(raw.frpAllowPorts ?? '20000-20999');
  const start = Number(range?.[1]);
  const end = Number(range?.[2]);
  if (!range || start < 1024 || end > 65535 || start > end) {
    throw new ConfigError(
      `UTOPIA_FRP_ALLOW_PORTS must be a range like 20000-20999, got '${raw.frpAllowPorts}'`,
    );
  }
  if (mode === 'external' && (!raw.frpsAdminUrl || !raw.frpsAdminPassword || !raw.frpToken)) {
    throw new ConfigError(
      'UTOPIA_FRP_MODE=external needs UTOPIA_FRPS_ADMIN_URL, UTOPIA_FRPS_ADMIN_PASSWORD and UTOPIA_FRP_TOKEN',
    );
  }
  return {
    mode,
    bindPort: int(raw.frpBindPort, 'UTOPIA_FRP_BIND_PORT', 7000, 0, 65535),
    allowPorts: { start, end },
    frpsBin: raw.frpsBin,
    adminUrl: raw.frpsAdminUrl,
    adminUser: raw.frpsAdminUser ?? 'admin',
    adminPassword: raw.frpsAdminPassword,
    token: raw.frpToken,
  };
}
