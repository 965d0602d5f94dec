// Logs and exec of a claim's container: query schemas and the exec wire protocol (Kubernetes'
// channel protocol, docs/api.md "Exec"), shared by the server, the agent, the CLI and the UI.
import { Type, type Static } from '@sinclair/typebox';
import { Text } from './common.js';

const RFC3339 =
  '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})';

/** LogsQuery is used by GET /api/gpu-claims/:id/logs. */
export const LogsQuery = Type.Object(
  {
    tail: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 100000, description: 'Only the last N lines' }),
    ),
    follow: Type.Optional(
      Type.Boolean({ description: 'Keep streaming new output until the container stops' }),
    ),
    since: Type.Optional(
      Type.String({
        maxLength: 35,
        pattern: `^(?:[0-9]{1,10}|${RFC3339})$`,
        description:
          'Only output written since: an RFC 3339 time, or N (seconds ago, like kubectl --since=Ns)',
      }),
    ),
    timestamps: Type.Optional(
      Type.Boolean({ description: "Prefix each line with Docker's RFC 3339 nanosecond time" }),
    ),
    previous: Type.Optional(
      Type.Boolean({ description: 'The run before the last restart (its last 2 MiB)' }),
    ),
  },
  { additionalProperties: false },
);
export type LogsQuery = Static<typeof LogsQuery>;

/** ExecQuery is used by GET /api/gpu-claims/:id/exec (kubectl's parameter names). */
export const ExecQuery = Type.Object(
  {
    command: Type.Array(Text({ minLength: 1, maxLength: 4096 }), {
      minItems: 1,
      maxItems: 128,
      description: 'The command and its arguments, one `command=` each (no shell)',
    }),
    stdin: Type.Optional(Type.Boolean({ description: 'Send channel 0 to the command' })),
    stdout: Type.Optional(Type.Boolean({ description: 'Default true' })),
    stderr: Type.Optional(
      Type.Boolean({ description: 'Default true; with tty, merged in stdout' }),
    ),
    tty: Type.Optional(Type.Boolean({ description: 'A terminal: resize on channel 4' })),
  },
  { additionalProperties: false },
);
export type ExecQuery = Static<typeof ExecQuery>;

/** ExecChannel is used for the first byte of every exec WebSocket message. */
export const ExecChannel = {
  Stdin: 0,
  Stdout: 1,
  Stderr: 2,
  /** Server → client, once, last: a metav1.Status JSON with the exit code. */
  Status: 3,
  /** Client → server: {"Width":cols,"Height":rows}. */
  Resize: 4,
  /** v5 only: [255, channel] closes that channel (stdin: EOF for the command). */
  Close: 255,
} as const;
export type ExecChannel = (typeof ExecChannel)[keyof typeof ExecChannel];

/** ExecProtocol is used to name the WebSocket subprotocols exec speaks, preferred first. */
export const ExecProtocol = { V5: 'v5.channel.k8s.io', V4: 'v4.channel.k8s.io' } as const;
export const EXEC_PROTOCOLS: readonly string[] = [ExecProtocol.V5, ExecProtocol.V4];

/** ExecStatus is used for channel 3: Kubernetes' metav1.Status as kubectl reads it. */
export interface ExecStatus {
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { causes: { reason: string; message: string }[] };
}

/** execStatus is used to build channel 3's message from an exit code (null: unknown). */
export function execStatus(exitCode: number | null, failure?: string): ExecStatus {
  if (exitCode === 0) return { metadata: {}, status: 'Success' };
  if (exitCode === null) {
    return {
      metadata: {},
      status: 'Failure',
      message: failure ?? 'the command did not report an exit code',
      reason: 'InternalError',
    };
  }
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: ${exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(exitCode) }] },
  };
}

/** exitCodeOf is used to read the exit code back out of a channel 3 status (null: none given). */
export function exitCodeOf(status: unknown): number | null {
  if (typeof status !== 'object' || status === null) return null;
  if ('status' in status && status.status === 'Success') return 0;
  const details = 'details' in status ? status.details : undefined;
  const causes =
    typeof details === 'object' && details !== null && 'causes' in details ? details.causes : [];
  if (!Array.isArray(causes)) return null;
  for (const cause of causes) {
    if (typeof cause !== 'object' || cause === null) continue;
    if (!('reason' in cause) || cause.reason !== 'ExitCode' || !('message' in cause)) continue;
    const code = Number(cause.message);
    if (Number.isInteger(code)) return code;
  }
  return null;
}

/** TerminalSize is used for channel 4's message. */
export const TerminalSize = Type.Object(
  {
    Width: Type.Integer({ minimum: 0, maximum: 65535 }),
    Height: Type.Integer({ minimum: 0, maximum: 65535 }),
  },
  { additionalProperties: true },
);
export type TerminalSize = Static<typeof TerminalSize>;
