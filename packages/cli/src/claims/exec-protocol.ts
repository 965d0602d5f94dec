// The client side of the exec WebSocket (docs/api.md, "Exec"): Kubernetes' channel protocol, with
// the channels, subprotocols and status reading from @utopia/shared, as the server uses them.
import { ExecChannel, exitCodeOf as statusExitCode } from '@utopia/shared';

export { EXEC_PROTOCOLS, ExecChannel as Channel } from '@utopia/shared';

/** frame is used to send data on a channel. */
export function frame(channel: number, data: Uint8Array | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  return Buffer.concat([Buffer.from([channel]), body]);
}

/** resizeFrame is used when the terminal changes size. */
export function resizeFrame(columns: number, rows: number): Buffer {
  return frame(ExecChannel.Resize, JSON.stringify({ Width: columns, Height: rows }));
}

/** closeStdinFrame is used (v5 only) to say stdin has ended, as Ctrl-D at the end of a pipe. */
export function closeStdinFrame(): Buffer {
  return Buffer.from([ExecChannel.Close, ExecChannel.Stdin]);
}

/** exitCodeOf is used to read the status channel; a failure without a code counts as 1. */
export function exitCodeOf(statusJson: string): { code: number; message: string | undefined } {
  let data: unknown;
  try {
    data = JSON.parse(statusJson);
  } catch {
    return { code: 1, message: 'unreadable exec status' };
  }
  const code = statusExitCode(data);
  const message =
    typeof data === 'object' &&
    data !== null &&
    'message' in data &&
    typeof data.message === 'string'
      ? data.message
      : undefined;
  return { code: code ?? 1, message: code === 0 ? undefined : message };
}
