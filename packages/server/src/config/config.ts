import { resolve } from 'node:path';
import { ConfigError, type LogLevel, type RawSettings } from '@utopia/shared/config';
import { SERVER_SETTINGS_TABLE as table, type SettingKey } from './settings.js';

// Both programs throw the shared ConfigError; re-exported so callers keep importing it from here.
export { ConfigError };

/** ServerConfig is used to carry every validated server setting. */
export interface ServerConfig {
  host: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  adminPassword: string | undefined;
  logLevel: LogLevel;
  jwtTtlSeconds: number;
  bodyLimitBytes: number;
  loginMaxFailures: number;
  loginMaxPerAddress: number;
  loginWindowSeconds: number;
  schedulingPolicy: 'best-fit' | 'first-fit';
  bootstrapJoinToken: string | undefined;
  reconcileConcurrency: number;
  resyncIntervalMs: number;
  runningCheckMs: number;
  restartBackoffMs: number;
  agentTimeoutMs: number;
  nodePollIntervalMs: number;
  nodePollConcurrency: number;
  maxInFlightRequests: number;
  nodeGraceMs: number;
  leaseDurationMs: number;
  watch: WatchConfig;
  frp: FrpConfig;
  /** The HTTP proxy's own listener; undefined: the proxy is off. */
  proxy: ProxyConfig | undefined;
}

/** ProxyConfig is used for the HTTP proxy to claims' ports. */
export interface ProxyConfig {
  host: string;
  port: number;
  /** undefined: http://host:port as bound. */
  publicUrl: string | undefined;
}

/** WatchConfig is used for watch streams and the change log behind them. */
export interface WatchConfig {
  pollMs: number;
  heartbeatMs: number;
  settleMs: number;
  stallMs: number;
  /** How long one stream may last before it is ended (the client resumes). */
  maxMs: number;
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

type ServerRawSettings = RawSettings<SettingKey>;

/** loadConfig is used to merge defaults < config file < environment < flags into a ServerConfig. */
export function loadConfig(argv: readonly string[], env: NodeJS.ProcessEnv): ServerConfig {
  return validate(table.load(argv, env, process.cwd()));
}

// Each default below is the one SERVER_SETTINGS shows in `--help` and docs/configuration.md.
function validate(raw: ServerRawSettings): ServerConfig {
  const dataDir = resolve(raw.dataDir ?? './data');
  const databaseUrl = raw.databaseUrl ?? `sqlite://${resolve(dataDir, 'utopia.db')}`;
  if (!/^(sqlite|mysql):\/\//.test(databaseUrl)) {
    throw table.error('databaseUrl', 'must start with sqlite:// or mysql://');
  }
  const int = (key: SettingKey, dflt: number, min: number, max: number): number =>
    table.integer(key, raw[key] ?? String(dflt), min, max);
  return {
    host: raw.host ?? '0.0.0.0',
    port: int('port', 8080, 0, 65535),
    dataDir,
    databaseUrl,
    adminPassword: password(raw.adminPassword),
    logLevel: table.logLevel('logLevel', raw.logLevel ?? 'info'),
    jwtTtlSeconds: int('jwtTtlSeconds', 3600, 60, 86400 * 7),
    bodyLimitBytes: int('bodyLimitBytes', 1048576, 1024, 64 << 20),
    loginMaxFailures: int('loginMaxFailures', 5, 1, 1000),
    loginMaxPerAddress: int('loginMaxPerAddress', 30, 1, 100000),
    loginWindowSeconds: int('loginWindowSeconds', 900, 1, 86400),
    schedulingPolicy: table.oneOf('schedulingPolicy', raw.schedulingPolicy ?? 'best-fit', [
      'best-fit',
      'first-fit',
    ] as const),
    bootstrapJoinToken: raw.bootstrapJoinToken,
    reconcileConcurrency: int('reconcileConcurrency', 32, 1, 256),
    resyncIntervalMs: int('resyncIntervalMs', 30_000, 100, 3_600_000),
    runningCheckMs: int('runningCheckMs', 300_000, 50, 3_600_000),
    restartBackoffMs: int('restartBackoffMs', 1000, 10, 300_000),
    agentTimeoutMs: int('agentTimeoutMs', 10_000, 100, 300_000),
    nodePollIntervalMs: int('nodePollIntervalMs', 5000, 50, 600_000),
    nodePollConcurrency: int('nodePollConcurrency', 64, 1, 4096),
    maxInFlightRequests: int('maxInFlightRequests', 1024, 1, 1_000_000),
    nodeGraceMs: int('nodeGraceMs', 30_000, 100, 3_600_000),
    leaseDurationMs: int('leaseDurationMs', 15_000, 1000, 600_000),
    watch: {
      pollMs: int('watchPollMs', 200, 10, 60_000),
      heartbeatMs: int('watchHeartbeatMs', 15_000, 50, 600_000),
      settleMs: int('watchSettleMs', 2000, 0, 600_000),
      stallMs: int('watchStallMs', 30_000, 100, 3_600_000),
      maxMs: int('watchMaxMs', 1_800_000, 100, 86_400_000),
      retentionSeconds: int('watchRetentionSeconds', 3600, 60, 30 * 86400),
      maxChanges: int('watchMaxChanges', 100_000, 1000, 100_000_000),
    },
    frp: frpConfig(raw, int('frpBindPort', 7000, 0, 65535)),
    proxy: proxyConfig(raw),
  };
}

function proxyConfig(raw: ServerRawSettings): ProxyConfig | undefined {
  const listen = raw.proxyListen;
  if (listen === undefined || listen === 'off' || listen === '') return undefined;
  const match = /^(.+):(\d+)$/.exec(listen);
  const port = Number(match?.[2]);
  if (!match?.[1] || !(port >= 0 && port <= 65535))
    throw table.error('proxyListen', `'${listen}' is not host:port (or off)`);
  const publicUrl = raw.proxyPublicUrl?.replace(/\/$/, '');
  if (publicUrl !== undefined && !/^https?:\/\/[^/?#\s]+$/.test(publicUrl))
    throw table.error(
      'proxyPublicUrl',
      `'${raw.proxyPublicUrl}' is not an http(s)://host[:port] URL`,
    );
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port, publicUrl };
}

function password(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (value.length < 8) throw table.error('adminPassword', 'must be at least 8 characters');
  return value;
}

function frpConfig(raw: ServerRawSettings, bindPort: number): FrpConfig {
  const mode = table.oneOf('frpMode', raw.frpMode ?? 'off', [
    'off',
    'supervised',
    'external',
  ] as const);
  const range = /^(\d+)-(\d+)$/.exec(raw.frpAllowPorts ?? '20000-20999');
  const start = Number(range?.[1]);
  const end = Number(range?.[2]);
  if (!range || start < 1024 || end > 65535 || start > end) {
    throw table.error(
      'frpAllowPorts',
      `'${raw.frpAllowPorts}' is not a range like 20000-20999 within 1024..65535`,
    );
  }
  if (mode === 'external' && (!raw.frpsAdminUrl || !raw.frpsAdminPassword || !raw.frpToken)) {
    throw new ConfigError(
      'UTOPIA_FRP_MODE=external needs UTOPIA_FRPS_ADMIN_URL, UTOPIA_FRPS_ADMIN_PASSWORD and UTOPIA_FRP_TOKEN',
    );
  }
  return {
    mode,
    bindPort,
    allowPorts: { start, end },
    frpsBin: raw.frpsBin,
    adminUrl: raw.frpsAdminUrl,
    adminUser: raw.frpsAdminUser ?? 'admin',
    adminPassword: raw.frpsAdminPassword,
    token: raw.frpToken,
  };
}
