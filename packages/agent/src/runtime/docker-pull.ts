/** PullError is used for an error Docker reports inside a pull's progress stream. */
export class PullError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PullError';
  }
}

/**
 * readPullProgress is used to wait for an image pull to end. Errors met half-way through a pull
 * arrive inside the progress stream (one JSON object per line), not as an HTTP status; a stream
 * cut short rejects with ERR_STREAM_PREMATURE_CLOSE (a lost Engine). dockerode's followProgress
 * is not used: it throws from its 'data' handler on a line that is not JSON.
 */
export function readPullProgress(stream: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let failure: string | undefined;
    let settled = false;
    const settle = (err: Error | undefined): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else if (failure !== undefined) reject(new PullError(failure));
      else resolve();
    };
    stream.on('data', (chunk: Buffer | string) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) failure ??= progressError(line);
    });
    stream.on('error', (err: Error) => settle(err));
    stream.on('end', () => {
      failure ??= progressError(buffered);
      settle(undefined);
    });
    stream.on('close', () =>
      settle(
        Object.assign(new Error('pull stream closed early'), {
          code: 'ERR_STREAM_PREMATURE_CLOSE',
        }),
      ),
    );
  });
}

function progressError(line: string): string | undefined {
  if (line.trim() === '') return undefined;
  let item: unknown;
  try {
    item = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof item !== 'object' || item === null || !('error' in item)) return undefined;
  const detail = 'errorDetail' in item ? item.errorDetail : undefined;
  const message =
    typeof detail === 'object' && detail !== null && 'message' in detail
      ? detail.message
      : item.error;
  return typeof message === 'string' ? message : 'pull failed';
}
