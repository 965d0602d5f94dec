import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AGENT_SETTINGS, type AgentSettingKey } from './agent-settings.js';

/** LogLevel is used to choose how much the agent logs. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** AgentConfig is used to carry every validated agent setting. */
export interface AgentConfig {
  serverUrl: string;
  joinToken: string | undefined;
  dataDir: string;
  identityFile: string;
  listenHost: string;
  listenPort: number;
  /** undefined: derive `http://<listen>` once the port is known (port 0 picks one). */
  advertiseAddress: string | undefined;
  frpServerAddr: string;
  /** undefined: the port the server offers. */
  frpServerPort: number | undefined;
  tunnel: 'auto' | 'frp' | 'direct';
  frpcBin: string | undefined;
  simulateGpus: number;
  simulateGpuModel: string;
  simulateGpuMemoryMiB: number;
  nvidiaSmiPath: string;
  dockerSocket: string | undefined;
  containerNetwork: string;
  registerRetryBaseMs: number;
  logLevel: LogLevel;
}

/** ConfigError is used to stop the agent at start (exit 2) with a message naming the setting. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** ParsedCommandLine is used to tell main whether to run, print help or print the version. */
export type ParsedCommandLine =
  { action: 'run'; config: AgentConfig } | { action: 'help' } | { action: 'version' };

type RawSettings = Partial<Record<AgentSettingKey, string>>;

const LOG_LEVELS: readonly LogLevel[] = [
  'trace',
  'debug',
  'info',
  'warn',
  'error',
  'fatal',
  'silent',
];

/** parseCommandLine is used to merge defaults < config file < environment < flags. */
export function parseCommandLine(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string = process.cwd(),
): ParsedCommandLine {
  if (argv.includes('--help') || argv.includes('-h')) return { action: 'help' };
  if (argv.includes('--version')) return { action: 'version' };
  const flags = parseFlags(argv);
  const configPath = flags.config ?? nonEmpty(env.UTOPIA_AGENT_CONFIG);
  const raw: RawSettings = configPath ? readConfigFile(resolve(cwd, configPath)) : {};
  for (const s of AGENT_SETTINGS) {
    const fromEnv = nonEmpty(env[s.env]);
    if (fromEnv !== undefined) raw[s.key] = fromEnv;
    const fromFlag = flags.values.get(s.flag);
    if (fromFlag !== undefined) raw[s.key] = fromFlag;
  }
  return { action: 'run', config: validateSettings(raw, cwd) };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function parseFlags(argv: readonly string[]): { config?: string; values: Map<string, string> } {
  const known = new Set<string>(AGENT_SETTINGS.map((s) => s.flag));
  const values = new Map<string, string>();
  let config: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(0, eq) : arg;
    if (name !== '--config' && !known.has(name)) {
      throw new ConfigError(`unknown option '${name}' (see utopia-agent --help)`);
    }
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(`option '${name}' needs a value`);
    if (name === '--config') config = value;
    else values.set(name, value);
  }
  return config === undefined ? { values } : { config, values };
}

function readConfigFile(path: string): RawSettings {
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
    throw new ConfigError(`config file ${path}: expected a mapping of setting keys`);
  }
  const keys = new Set<string>(AGENT_SETTINGS.map((s) => s.key));
  const raw: RawSettings = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!isSettingKey(key, keys)) {
      throw new ConfigError(`config file ${path}: unknown setting '${key}'`);
    }
    if (value === null || value === undefined) continue;
    if (typeof value === 'object') {
      throw new ConfigError(`config file ${path}: setting '${key}' must be a scalar`);
    }
    raw[key] = String(value);
  }
  return raw;
}

function isSettingKey(key: string, keys: ReadonlySet<string>): key is AgentSettingKey {
  return keys.has(key);
}

/** validateSettings is used to turn raw strings into an AgentConfig, naming any bad setting. */
export function validateSettings(raw: RawSettings, cwd: string): AgentConfig {
  const serverUrl = parseHttpUrl('serverUrl', raw.serverUrl);
  const dataDir = resolve(cwd, raw.dataDir ?? './data');
  const listen = parseListen(raw.listen ?? '127.0.0.1:9200');
  const advertise =
    raw.advertiseAddress === undefined
      ? undefined
      : parseHttpUrl('advertiseAddress', raw.advertiseAddress);
  const logLevel = raw.logLevel ?? 'info';
  if (!isLogLevel(logLevel))
    throw settingError('logLevel', `'${logLevel}' is not one of ${LOG_LEVELS.join(', ')}`);
  const model = raw.simulateGpuModel ?? 'NVIDIA A100-SXM4-80GB';
  if (model.trim() === '') throw new ConfigError('simulateGpuModel: must not be empty');
  return {
    serverUrl: serverUrl.replace(/\/+$/, ''),
    joinToken: raw.joinToken,
    dataDir,
    identityFile:
      raw.identityFile === undefined
        ? resolve(dataDir, 'agent-identity.json')
        : resolve(cwd, raw.identityFile),
    listenHost: listen.host,
    listenPort: listen.port,
    advertiseAddress: advertise?.replace(/\/+$/, ''),
    frpServerAddr: raw.frpServerAddr ?? new URL(serverUrl).hostname,
    frpServerPort:
      raw.frpServerPort === undefined
        ? undefined
        : parseInteger('frpServerPort', raw.frpServerPort, 1, 65535),
    tunnel: parseTunnel(raw.tunnel ?? 'auto'),
    frpcBin: raw.frpcBin,
    simulateGpus: parseInteger('simulateGpus', raw.simulateGpus ?? '0', 0, 64),
    simulateGpuModel: model,
    simulateGpuMemoryMiB: parseInteger(
      'simulateGpuMemoryMiB',
      raw.simulateGpuMemoryMiB ?? '81920',
      1,
      16_777_216,
    ),
    nvidiaSmiPath: raw.nvidiaSmiPath ?? 'nvidia-smi',
    dockerSocket: raw.dockerSocket,
    containerNetwork: parseNetwork(raw.containerNetwork ?? 'bridge'),
    registerRetryBaseMs: parseInteger(
      'registerRetryBaseMs',
      raw.registerRetryBaseMs ?? '1000',
      1,
      60_000,
    ),
    logLevel,
  };
}

/** settingError is used to name a bad setting the three ways an operator may have given it. */
function settingError(key: string, problem: string): ConfigError {
  const spec = AGENT_SETTINGS.find((s) => s.key === key);
  const where = spec ? ` (${spec.flag}, ${spec.env})` : '';
  return new ConfigError(`${key}${where}: ${problem}`);
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

function parseHttpUrl(key: string, value: string | undefined): string {
  if (value === undefined) throw settingError(key, `required (flag, environment or config file)`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw settingError(key, `'${value}' is not a URL (e.g. http://10.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw settingError(key, `'${value}' must start with http:// or https://`);
  }
  return value;
}

function parseInteger(key: string, value: string, min: number, max: number): number {
  if (!/^-?\d+$/.test(value.trim())) throw settingError(key, `'${value}' is not an integer`);
  const n = Number(value.trim());
  if (n < min || n > max) throw settingError(key, `${n} is outside ${min}..${max}`);
  return n;
}

function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const portText = match?.[3];
  if (host === undefined || portText === undefined) {
    throw settingError('listen', `'${value}' is not host:port (e.g. 127.0.0.1:9200)`);
  }
  return { host, port: parseInteger('listen', portText, 0, 65535) };
}

function parseNetwork(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value)) {
    throw settingError('containerNetwork', `'${value}' is not a Docker network name`);
  }
  return value;
}

/** advertiseUrlFor is used to derive the default advertise URL from the bound address. */
export function advertiseUrlFor(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}

function parseTunnel(value: string): AgentConfig['tunnel'] {
  if (value === 'auto' || value === 'frp' || value === 'direct') return value;
  throw settingError('tunnel', `'${value}' is not one of auto, frp, direct`);
}
