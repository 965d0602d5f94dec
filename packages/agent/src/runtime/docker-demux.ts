import { Transform, type TransformCallback } from 'node:stream';

/** DockerStreamId is used to name the output a piece of a multiplexed stream came from. */
export type DockerStreamId = 1 | 2;

/** DockerChunk is used to hand on one piece of stdout (1) or stderr (2). */
export interface DockerChunk {
  stream: DockerStreamId;
  data: Buffer;
}

/** DemuxOptions is used to choose what the demuxer emits. */
export interface DemuxOptions {
  /** true: plain Buffers, stdout and stderr merged in arrival order (what `kubectl logs` shows). */
  merged: boolean;
}

const HEADER = 8;

/**
 * DockerDemuxer is used to strip Docker's 8-byte frame headers ([stream, 0, 0, 0, size32be])
 * from a non-TTY log or attach stream. Unlike docker-modem's demuxStream it is a Transform, so
 * a slow reader slows Docker down instead of growing a buffer, and a frame's payload is handed
 * on piece by piece as it arrives (a 1 GiB frame never sits in memory). A stream whose first
 * header is not a valid one is a TTY's raw output and passes through unchanged.
 */
export class DockerDemuxer extends Transform {
  readonly #merged: boolean;
  /** Bytes of a header split across chunks (always fewer than 8). */
  #partial: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #stream: DockerStreamId = 1;
  #raw = false;
  #started = false;

  constructor(opts: DemuxOptions) {
    super({ readableObjectMode: !opts.merged });
    this.#merged = opts.merged;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    if (this.#raw) {
      this.#emit(1, chunk);
      done();
      return;
    }
    const buf = this.#partial.length > 0 ? Buffer.concat([this.#partial, chunk]) : chunk;
    this.#partial = Buffer.alloc(0);
    let at = 0;
    while (at < buf.length) {
      if (this.#remaining > 0) {
        const n = Math.min(this.#remaining, buf.length - at);
        this.#emit(this.#stream, buf.subarray(at, at + n));
        this.#remaining -= n;
        at += n;
        continue;
      }
      if (buf.length - at < HEADER) {
        this.#partial = Buffer.from(buf.subarray(at));
        break;
      }
      const type = buf[at];
      const valid = (type === 0 || type === 1 || type === 2) && buf.readUIntBE(at + 1, 3) === 0;
      if (!valid) {
        // Only the first header decides: a TTY stream has none. Later, Docker never misframes.
        if (this.#started) {
          done(new Error('Docker stream lost its framing'));
          return;
        }
        this.#raw = true;
        this.#emit(1, buf.subarray(at));
        break;
      }
      this.#started = true;
      this.#stream = type === 2 ? 2 : 1;
      this.#remaining = buf.readUInt32BE(at + 4);
      at += HEADER;
    }
    done();
  }

  override _flush(done: TransformCallback): void {
    // Fewer than 8 bytes at the very start: too short to be framed, so a TTY's output.
    if (!this.#started && this.#partial.length > 0) this.#emit(1, this.#partial);
    done();
  }

  #emit(stream: DockerStreamId, data: Buffer): void {
    if (data.length === 0) return;
    this.push(this.#merged ? data : ({ stream, data } satisfies DockerChunk));
  }
}
