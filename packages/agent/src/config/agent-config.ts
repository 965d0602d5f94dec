import { resolve } from 'node:path';
import type { LogLevel, RawSettings } from '@utopia/shared/config';
import { parseAllowedHostPaths, type AllowedHostPath } from '../runtime/host-paths.js';
import { AGENT_SETTINGS_TABLE as table, type AgentSettingKey } from './agent-settings.js';
import { GPU_INJECTION_SETTINGS, type GpuInjectionSetting } from '../gpu/gpu-injection.js';
import { DEFAULT_CDI_SPEC_DIRS } from '../gpu/cdi/cdi-registry.js';

// Both programs throw the shared ConfigError; re-exported so callers keep importing it from here.
export { ConfigError, type LogLevel } from '@utopia/shared/config';

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
  gpuInjection: GpuInjectionSetting;
  /** Lowest priority first. */
  cdiSpecDirs: string[];
  dockerSocket: string | undefined;
  containerNetwork: string;
  allowedHostPaths: AllowedHostPath[];
  /** undefined: the machine's own CPU count / memory. */
  capacityCpus: number | undefined;
  capacityMemoryMiB: number | undefined;
  registerRetryBaseMs: number;
  logLevel: LogLevel;
}

/** ParsedCommandLine is used to tell main whether to run, print help or print the version. */
export type ParsedCommandLine =
  { action: 'run'; config: AgentConfig } | { action: 'help' } | { action: 'version' };

type AgentRawSettings = RawSettings<AgentSettingKey>;

/** parseCommandLine is used to merge defaults < config file < environment < flags. */
export function parseCommandLine(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string = process.cwd(),
): ParsedCommandLine {
  if (argv.includes('--help') || argv.includes('-h')) return { action: 'help' };
  if (argv.includes('--version')) return { action: 'version' };
  return { action: 'run', config: validateSettings(table.load(argv, env, cwd), cwd) };
}

/** validateSettings is used to turn raw strings into an AgentConfig, naming any bad setting. */
export function validateSettings(raw: AgentRawSettings, cwd: string): AgentConfig {
  const serverUrl = parseHttpUrl('serverUrl', raw.serverUrl);
  const dataDir = resolve(cwd, raw.dataDir ?? './data');
  const listen = parseListen(raw.listen ?? '127.0.0.1:9200');
  const advertise =
    raw.advertiseAddress === undefined
      ? undefined
      : parseHttpUrl('advertiseAddress', raw.advertiseAddress);
  const logLevel = table.logLevel('logLevel', raw.logLevel ?? 'info');
  const model = raw.simulateGpuModel ?? 'NVIDIA A100-SXM4-80GB';
  if (model.trim() === '') throw table.error('simulateGpuModel', 'must not be empty');
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
        : table.integer('frpServerPort', raw.frpServerPort, 1, 65535),
    tunnel: table.oneOf('tunnel', raw.tunnel ?? 'auto', ['auto', 'frp', 'direct'] as const),
    frpcBin: raw.frpcBin,
    simulateGpus: table.integer('simulateGpus', raw.simulateGpus ?? '0', 0, 64),
    simulateGpuModel: model,
    simulateGpuMemoryMiB: table.integer(
      'simulateGpuMemoryMiB',
      raw.simulateGpuMemoryMiB ?? '81920',
      1,
      16_777_216,
    ),
    nvidiaSmiPath: raw.nvidiaSmiPath ?? 'nvidia-smi',
    gpuInjection: table.oneOf('gpuInjection', raw.gpuInjection ?? 'auto', GPU_INJECTION_SETTINGS),
    cdiSpecDirs: parseDirs(raw.cdiSpecDirs),
    dockerSocket: raw.dockerSocket,
    containerNetwork: parseNetwork(raw.containerNetwork ?? 'bridge'),
    allowedHostPaths: parseHostPaths(raw.allowedHostPaths ?? ''),
    capacityCpus:
      raw.capacityCpus === undefined ? undefined : parseCpus('capacityCpus', raw.capacityCpus),
    capacityMemoryMiB:
      raw.capacityMemoryMiB === undefined
        ? undefined
        : table.integer('capacityMemoryMiB', raw.capacityMemoryMiB, 0, 16_777_216),
    registerRetryBaseMs: table.integer(
      'registerRetryBaseMs',
      raw.registerRetryBaseMs ?? '1000',
      1,
      60_000,
    ),
    logLevel,
  };
}

function parseHttpUrl(key: AgentSettingKey, value: string | undefined): string {
  if (value === undefined) throw table.error(key, `required (flag, environment or config file)`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw table.error(key, `'${value}' is not a URL (e.g. http://10.0.0.1:8080)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw table.error(key, `'${value}' must start with http:// or https://`);
  }
  return value;
}

function parseListen(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(value);
  const host = match?.[1] ?? match?.[2];
  const portText = match?.[3];
  if (host === undefined || portText === undefined) {
    throw table.error('listen', `'${value}' is not host:port (e.g. 127.0.0.1:9200)`);
  }
  return { host, port: table.integer('listen', portText, 0, 65535) };
}

function parseHostPaths(value: string): AllowedHostPath[] {
  const parsed = parseAllowedHostPaths(value);
  if (typeof parsed === 'string') throw table.error('allowedHostPaths', parsed);
  return parsed;
}

function parseCpus(key: AgentSettingKey, value: string): number {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1024)
    throw table.error(key, `'${value}' is not a CPU count from 0 to 1024`);
  return n;
}

function parseDirs(value: string | undefined): string[] {
  if (value === undefined) return [...DEFAULT_CDI_SPEC_DIRS];
  const dirs = value
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d !== '');
  const bad = dirs.find((d) => !d.startsWith('/'));
  if (dirs.length === 0 || bad !== undefined) {
    throw table.error(
      'cdiSpecDirs',
      `'${value}' is not a comma-separated list of absolute folders`,
    );
  }
  return dirs;
}

function parseNetwork(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(value)) {
    throw table.error('containerNetwork', `'${value}' is not a Docker network name`);
  }
  return value;
}

/** advertiseUrlFor is used to derive the default advertise URL from the bound address. */
export function advertiseUrlFor(host: string, port: number): string {
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${shown.includes(':') ? `[${shown}]` : shown}:${port}`;
}
