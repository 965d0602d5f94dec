// What every command gets: the streams, the environment, the config file and an API client
// built from the global flags (--server, --token, --context).
import { ApiClient } from './api/api-client.js';
import { resolveConnection, type ConnectionFlags } from './api/connection.js';
import { configPath, readConfig, writeConfig, type CliConfig } from './config/config-file.js';
import { styleFor, type Style } from './output/style.js';

/** CliStreams is used so that tests can run the CLI in-process; main passes process's. */
export interface CliStreams {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

/** CliContext is used by the commands. */
export class CliContext {
  readonly streams: CliStreams;
  readonly env: NodeJS.ProcessEnv;
  readonly configPath: string;
  readonly style: Style;
  /** exitCode is set by a command whose exit code is not its own success (exec: the command's). */
  exitCode: number | undefined;
  #flags: ConnectionFlags = {};

  constructor(streams: CliStreams, env: NodeJS.ProcessEnv) {
    this.streams = streams;
    this.env = env;
    this.configPath = configPath(env);
    this.style = styleFor(streams.stdout, env);
  }

  /** setFlags is used once commander has parsed the global flags. */
  setFlags(flags: ConnectionFlags): void {
    this.#flags = flags;
  }

  get flags(): ConnectionFlags {
    return this.#flags;
  }

  readConfig(): CliConfig {
    return readConfig(this.configPath);
  }

  writeConfig(config: CliConfig): void {
    writeConfig(this.configPath, config);
  }

  /** client is used by commands that call the API. */
  client(): ApiClient {
    return new ApiClient(resolveConnection(this.#flags, this.env, this.readConfig()));
  }

  out(text: string): void {
    this.streams.stdout.write(text);
  }

  err(text: string): void {
    this.streams.stderr.write(text);
  }
}
