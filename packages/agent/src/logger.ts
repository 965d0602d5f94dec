import { destination, pino, type Logger } from 'pino';
import type { LogLevel } from './config/agent-config.js';

/** AgentLogger is used everywhere in the agent; it is a pino logger (Fastify's own kind). */
export type AgentLogger = Logger;

/** createLogger is used to build the agent's logger, JSON lines on stderr. */
export function createLogger(level: LogLevel): AgentLogger {
  return pino({ level, base: { service: 'utopia-agent' } }, destination(2));
}

/** silentLogger is used by tests that do not want log output. */
export function silentLogger(): AgentLogger {
  return pino({ level: 'silent' });
}
