// One chaos agent as its own process: the agent's main with a hostname, a machine id and a
// container label of its own, since every agent of the run shares this machine.
// Env: CHAOS_AGENT_NAME, CHAOS_RUN_LABEL, CHAOS_SERVER_URL, CHAOS_JOIN_TOKEN, CHAOS_DATA_DIR,
// CHAOS_GPUS, DOCKER_SOCKET.
import { startAgent, validateSettings } from '@utopia/agent';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`agent-process: ${name} is not set`);
  return value;
}

const name = env('CHAOS_AGENT_NAME');
const runLabel = env('CHAOS_RUN_LABEL');
const dataDir = env('CHAOS_DATA_DIR');
const config = validateSettings(
  {
    serverUrl: env('CHAOS_SERVER_URL'),
    joinToken: env('CHAOS_JOIN_TOKEN'),
    dataDir,
    listen: '127.0.0.1:0',
    simulateGpus: env('CHAOS_GPUS'),
    containerNetwork: 'none',
    registerRetryBaseMs: '200',
    logLevel: 'info',
    dockerSocket: env('DOCKER_SOCKET'),
  },
  dataDir,
);
const agent = await startAgent(config, {
  hostname: name,
  machineId: `${runLabel}-${name}`,
  extraLabels: { 'utopia.chaos-run': runLabel, 'utopia.chaos-node': name },
});
process.on('SIGTERM', () => void agent.close().then(() => process.exit(0)));
