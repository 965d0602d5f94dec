// Public entry points of the server package, used by main, the tests and the agent's e2e tests.
export { loadConfig, ConfigError, type ServerConfig } from './config/config.js';
export { startServer, createContext, type RunningServer, type ServerOptions } from './server.js';
export { buildApp, type BuiltApp } from './app.js';
