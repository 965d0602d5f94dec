/**
 * ConfigError is used to stop a program at start (exit code 2) with a message that names the bad
 * setting. utopia-server and utopia-agent both throw this one class.
 */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
