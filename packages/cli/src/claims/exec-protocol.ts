// Kubernetes' WebSocket channel protocol (v5.channel.k8s.io, and v4 without the close frame), as
// the server speaks it on /api/gpu-claims/:id/exec (docs/api.md, "Exec"): one leading byte per
// frame names the channel.

/** Channel is used for the first byte of each binary frame. */
export const Channel = {
  Stdin: 0,
  Stdout: 1,
  Stderr: 2,
  Status: 3,
  Resize: 4,
  Close: 255,
} as const;

/** EXEC_PROTOCOLS is used to offer the versions the client speaks, newest first. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

/** frame is used to send data on a channel. */
export function frame(channel: number, data: Uint8Array | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
  return Buffer.concat([Buffer.from([channel]), body]);
}

/** resizeFrame is used when the terminal changes size. */
export function resizeFrame(columns: number, rows: number): Buffer {
  return frame(Channel.Resize, JSON.stringify({ Width: columns, Height: rows }));
}

/** closeStdinFrame is used (v5 only) to say stdin has ended, as Ctrl-D at the end of a pipe. */
export function closeStdinFrame(): Buffer {
  return Buffer.from([Channel.Close, Channel.Stdin]);
}

/**
 * exitCodeOf is used to read the status channel: metav1.Status, `Success`, or `Failure` with
 * reason `NonZeroExitCode` and the code in `details.causes[{reason: 'ExitCode', message}]`.
 * Anything else that is a failure counts as 1.
 */
export function exitCodeOf(statusJson: string): { code: number; message: string | undefined } {
  let data: unknown;
  try {
    data = JSON.parse(statusJson);
  } catch {
    return { code: 1, message: 'unreadable exec status' };
  }
  if (!isRecord(data)) return { code: 1, message: 'unreadable exec status' };
  if (data.status === 'Success') return { code: 0, message: undefined };
  const message = typeof data.message === 'string' ? data.message : undefined;
  const details = isRecord(data.details) ? data.details : undefined;
  const causes = Array.isArray(details?.causes) ? details.causes : [];
  for (const cause of causes) {
    if (isRecord(cause) && cause.reason === 'ExitCode' && typeof cause.message === 'string') {
      const n = Number(cause.message);
      if (Number.isInteger(n) && n >= 0 && n <= 255) return { code: n, message: undefined };
    }
  }
  return { code: 1, message };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
