// The CLI's one error type and its exit codes (docs/cli.md, "Exit codes").

/** ExitCode is used for the process's exit status, stable for scripts. */
export const ExitCode = {
  Ok: 0,
  /** The API refused the request, or it could not be reached. */
  Failure: 1,
  /** The command line itself is wrong: unknown flag, missing argument, bad value. */
  Usage: 2,
  /** `wait`, `run --wait` or `delete --wait` ran out of time (as coreutils' timeout). */
  Timeout: 124,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** CliError is used for every failure the CLI reports: a message, an exit code, an API code. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** The API's error code (e.g. NOT_FOUND), or the CLI's own (UNREACHABLE, TIMEOUT). */
  readonly code: string | undefined;
  readonly status: number | undefined;

  constructor(message: string, opts: { exitCode?: ExitCode; code?: string; status?: number } = {}) {
    super(message);
    this.name = 'CliError';
    this.exitCode = opts.exitCode ?? ExitCode.Failure;
    this.code = opts.code;
    this.status = opts.status;
  }
}

/** usageError is used for a command line that cannot mean anything: exit code 2. */
export function usageError(message: string): CliError {
  return new CliError(message, { exitCode: ExitCode.Usage, code: 'USAGE' });
}

/** timeoutError is used when a wait runs out of time: its own exit code. */
export function timeoutError(message: string): CliError {
  return new CliError(message, { exitCode: ExitCode.Timeout, code: 'TIMEOUT' });
}

/** messageOf is used to show a caught error, whatever was thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
