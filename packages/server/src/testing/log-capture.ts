// A real pino logger whose output stays in memory, so tests can read what the server logged.
import type { Level, Logger } from 'pino';
import { createServerLogger } from '../server.js';

/** CapturedLog is used by tests to read every line a server logged. */
export interface CapturedLog {
  logger: Logger;
  /** Every line written so far, as pino wrote it (JSON text). */
  text(): string;
  /** The lines whose `msg` contains `fragment`, parsed. */
  find(fragment: string): Record<string, unknown>[];
}

function parse(line: string): Record<string, unknown> {
  const value: unknown = JSON.parse(line);
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(Object.entries(value))
    : {};
}

/** captureLog is used to start a server with a logger at `level` that keeps what it writes. */
export function captureLog(level: Level = 'trace'): CapturedLog {
  const lines: string[] = [];
  const logger = createServerLogger(level, {
    write: (chunk: string) => void lines.push(...chunk.split('\n').filter((l) => l !== '')),
  });
  return {
    logger,
    text: () => lines.join('\n'),
    find: (fragment) =>
      lines.map(parse).filter((l) => typeof l.msg === 'string' && l.msg.includes(fragment)),
  };
}
