// Public surface of @utopia/agent: what the server's tests need to run an agent in-process.
export { startAgent, type AgentDeps, type RunningAgent } from './agent.js';
export {
  ConfigError,
  parseCommandLine,
  validateSettings,
  type AgentConfig,
} from './config/agent-config.js';
export { AGENT_SETTINGS, renderAgentHelp } from './config/agent-settings.js';
export type { GpuBackend, GpuDevice } from './gpu/gpu-backend.js';
export { SimulatedGpuBackend, NoGpuBackend, simulatedUuid } from './gpu/simulated.backend.js';
export type { AgentIdentity } from './registration/identity-store.js';
export { RegistrationError } from './registration/registration.client.js';
export type { ContainerRuntime } from './runtime/container-runtime.js';
export { Labels } from './runtime/container-info.js';
export { silentLogger } from './logger.js';
export { AGENT_VERSION } from './version.js';
export * from './tunnel/index.js';
