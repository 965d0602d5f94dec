import { LOG_LEVELS_TEXT, SettingsTable, type SettingSpec } from '@utopia/shared/config';

/** AGENT_SETTINGS lists every agent setting; the loader and `utopia-agent --help` read it. */
export const AGENT_SETTINGS = [
  {
    key: 'serverUrl',
    env: 'UTOPIA_AGENT_SERVER_URL',
    flag: '--server-url',
    defaultText: '(required)',
    description: 'URL of utopia-server, e.g. http://10.0.0.1:8080',
  },
  {
    key: 'joinToken',
    env: 'UTOPIA_AGENT_JOIN_TOKEN',
    flag: '--join-token',
    defaultText: '(none; required for the first start only)',
    description: 'Join token used once to register this node',
  },
  {
    key: 'dataDir',
    env: 'UTOPIA_AGENT_DATA_DIR',
    flag: '--data-dir',
    defaultText: './data',
    description: 'Directory for the identity file',
  },
  {
    key: 'identityFile',
    env: 'UTOPIA_AGENT_IDENTITY_FILE',
    flag: '--identity-file',
    defaultText: '<data-dir>/agent-identity.json',
    description: 'Where this node keeps its id and credentials (mode 0600)',
  },
  {
    key: 'listen',
    env: 'UTOPIA_AGENT_LISTEN',
    flag: '--listen',
    defaultText: '127.0.0.1:9200',
    description: 'host:port the agent API listens on (port 0 picks a free one)',
  },
  {
    key: 'advertiseAddress',
    env: 'UTOPIA_AGENT_ADVERTISE_ADDRESS',
    flag: '--advertise-address',
    defaultText: 'http://<listen>',
    description: 'URL the server uses to reach this agent (direct mode)',
  },
  {
    key: 'frpServerAddr',
    env: 'UTOPIA_AGENT_FRP_SERVER_ADDR',
    flag: '--frp-server-addr',
    defaultText: '(host of --server-url)',
    description: 'frps address the tunnel dials',
  },
  {
    key: 'frpServerPort',
    env: 'UTOPIA_AGENT_FRP_SERVER_PORT',
    flag: '--frp-server-port',
    defaultText: '(the port the server offers)',
    description: 'frps port the tunnel dials',
  },
  {
    key: 'tunnel',
    env: 'UTOPIA_AGENT_TUNNEL',
    flag: '--tunnel',
    defaultText: 'auto',
    description:
      'auto (frp tunnel when the server offers one, else direct), frp, or direct (LAN: the server dials --advertise-address)',
  },
  {
    key: 'frpcBin',
    env: 'UTOPIA_AGENT_FRPC_BIN',
    flag: '--frpc-bin',
    defaultText: '(the pinned build of scripts/build-frp.sh)',
    description: 'Path of the frpc binary, e.g. one from an frp release',
  },
  {
    key: 'simulateGpus',
    env: 'UTOPIA_AGENT_SIMULATE_GPUS',
    flag: '--simulate-gpus',
    defaultText: '0 (use nvidia-smi)',
    description: 'Pretend to have N GPUs (demos, tests); no device is given to containers',
  },
  {
    key: 'simulateGpuModel',
    env: 'UTOPIA_AGENT_SIMULATE_GPU_MODEL',
    flag: '--simulate-gpu-model',
    defaultText: 'NVIDIA A100-SXM4-80GB',
    description: 'Model name of the simulated GPUs',
  },
  {
    key: 'simulateGpuMemoryMiB',
    env: 'UTOPIA_AGENT_SIMULATE_GPU_MEMORY_MIB',
    flag: '--simulate-gpu-memory-mib',
    defaultText: '81920',
    description: 'Memory of each simulated GPU, in MiB',
  },
  {
    key: 'nvidiaSmiPath',
    env: 'UTOPIA_AGENT_NVIDIA_SMI',
    flag: '--nvidia-smi',
    defaultText: 'nvidia-smi',
    description: 'nvidia-smi command used to discover real GPUs',
  },
  {
    key: 'gpuInjection',
    env: 'UTOPIA_AGENT_GPU_INJECTION',
    flag: '--gpu-injection',
    defaultText: 'auto',
    description:
      'How containers get their GPUs: cdi (device nodes and mounts from CDI specs, any Docker Engine), nvidia-runtime (Docker DeviceRequests, needs the NVIDIA Container Toolkit), or auto (cdi when a spec covers every GPU, else nvidia-runtime)',
  },
  {
    key: 'cdiSpecDirs',
    env: 'UTOPIA_AGENT_CDI_SPEC_DIRS',
    flag: '--cdi-spec-dirs',
    defaultText: '/etc/cdi,/var/run/cdi',
    description: 'Comma-separated folders of CDI specs (.yaml, .json); a later folder wins',
  },
  {
    key: 'dockerSocket',
    env: 'UTOPIA_AGENT_DOCKER_SOCKET',
    flag: '--docker-socket',
    defaultText: '(DOCKER_HOST, else /var/run/docker.sock)',
    description: 'Docker Engine socket path or unix:// URL',
  },
  {
    key: 'containerNetwork',
    env: 'UTOPIA_AGENT_CONTAINER_NETWORK',
    flag: '--container-network',
    defaultText: 'bridge',
    description: 'Docker network mode of claim containers: bridge, host, none or a network name',
  },
  {
    key: 'allowedHostPaths',
    env: 'UTOPIA_AGENT_ALLOWED_HOST_PATHS',
    flag: '--allowed-host-paths',
    defaultText: '(none: claims may mount no host path)',
    description:
      'Comma-separated absolute host paths claims may mount (their subpaths too); PATH:ro allows read-only mounts only',
  },
  {
    key: 'capacityCpus',
    env: 'UTOPIA_AGENT_CAPACITY_CPUS',
    flag: '--capacity-cpus',
    defaultText: '(the CPU count of this machine)',
    description: 'CPUs the scheduler may hand to claims here (keep some for the system)',
  },
  {
    key: 'capacityMemoryMiB',
    env: 'UTOPIA_AGENT_CAPACITY_MEMORY_MIB',
    flag: '--capacity-memory-mib',
    defaultText: '(the memory of this machine)',
    description: 'Memory in MiB the scheduler may hand to claims here',
  },
  {
    key: 'registerRetryBaseMs',
    env: 'UTOPIA_AGENT_REGISTER_RETRY_BASE_MS',
    flag: '--register-retry-base-ms',
    defaultText: '1000',
    description: 'First retry delay when the server is unreachable (doubles up to 30 s)',
  },
  {
    key: 'logLevel',
    env: 'UTOPIA_AGENT_LOG_LEVEL',
    flag: '--log-level',
    defaultText: 'info',
    description: LOG_LEVELS_TEXT,
  },
] as const satisfies readonly SettingSpec[];

/** AgentSettingKey is used to name one agent setting. */
export type AgentSettingKey = (typeof AGENT_SETTINGS)[number]['key'];

/** AGENT_SETTINGS_TABLE is used to load the agent's settings and render its `--help`. */
export const AGENT_SETTINGS_TABLE = new SettingsTable<AgentSettingKey>(AGENT_SETTINGS, {
  program: 'utopia-agent',
  configEnv: 'UTOPIA_AGENT_CONFIG',
});

/** renderAgentHelp is used to print `utopia-agent --help`. */
export function renderAgentHelp(): string {
  return AGENT_SETTINGS_TABLE.renderHelp(
    [
      'The Utopia node agent: registers this node with utopia-server, discovers its GPUs and runs',
      'claim containers through the Docker Engine. Each setting is read from, lowest precedence',
      'first: its default, the YAML config file (--config FILE or UTOPIA_AGENT_CONFIG; keys as',
      'below), the environment variable, then the flag.',
    ],
    ['--help, -h', '--version'],
  );
}
