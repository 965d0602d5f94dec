// One exec between a WebSocket speaking Kubernetes' channel protocol (v4/v5.channel.k8s.io,
// docs/api.md "Exec") and a Docker exec's hijacked connection.
import type { Readable } from 'node:stream';
import { Value } from '@sinclair/typebox/value';
import { ExecChannel, execStatus, TerminalSize } from '@utopia/shared';
import { WebSocket, type RawData } from 'ws';
import type { FastifyBaseLogger } from 'fastify';
import type { ExecSession } from '../runtime/container-runtime.js';
import { DockerDemuxer, type DockerChunk } from '../runtime/docker-demux.js';

/** Pause Docker's output once this much waits to go out on the WebSocket; resume below a quarter. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = HIGH_WATER / 4;
/** How long to wait for Docker to report the exit code after the output ended. */
const EXIT_CODE_WAIT_MS = 5000;

/**
 * bridgeExec is used once a Docker exec started: output goes out as channel 1/2 frames, stdin
 * (0), resize (4) and v5's close of stdin (255, 0) come in, and when the command's output ends
 * its exit status goes out on channel 3 and the WebSocket closes normally.
 */
export function bridgeExec(
  ws: WebSocket,
  session: ExecSession,
  tty: boolean,
  log: FastifyBaseLogger,
): Promise<void> {
  const { stream } = session;
  const output: Readable = tty ? stream : stream.pipe(new DockerDemuxer({ merged: false }));
  output.on('data', (piece: Buffer | DockerChunk) => {
    const frame = Buffer.isBuffer(piece) ? frame1(ExecChannel.Stdout, piece) : toFrame(piece);
    sendFrame(ws, frame, output);
  });
  ws.on('message', (data: RawData) => onClientFrame(toBuffer(data), session, ws, log));
  ws.on('close', () => stream.destroy());
  ws.resume(); // paused by the route until these listeners were in place
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      void sendStatus(ws, session).finally(resolve);
    };
    output.on('end', finish);
    output.on('close', finish);
    output.on('error', (err) => {
      log.debug({ err }, 'exec stream failed');
      finish();
    });
  });
}

function onClientFrame(
  data: Buffer,
  session: ExecSession,
  ws: WebSocket,
  log: FastifyBaseLogger,
): void {
  const channel = data[0];
  const payload = data.subarray(1);
  if (channel === ExecChannel.Stdin) {
    // A command that reads slowly slows the client down instead of growing the socket's buffer.
    if (!session.stream.write(payload)) {
      ws.pause();
      session.stream.once('drain', () => ws.resume());
    }
  } else if (channel === ExecChannel.Resize) {
    const size = parseSize(payload);
    if (size) void resizeSoon(session, size, log);
  } else if (channel === ExecChannel.Close && payload[0] === ExecChannel.Stdin) {
    session.stream.end();
  }
}

/**
 * resizeSoon is used because a client resizes as soon as the socket opens, which can be before
 * Docker has the exec's process running: Docker refuses that resize, so it is tried again.
 */
async function resizeSoon(
  session: ExecSession,
  size: TerminalSize,
  log: FastifyBaseLogger,
): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await session.resize(size.Width, size.Height);
      return;
    } catch (err) {
      if (attempt === 19) log.debug({ err }, 'exec resize failed');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function parseSize(payload: Buffer): TerminalSize | undefined {
  try {
    const value: unknown = JSON.parse(payload.toString('utf8'));
    return Value.Check(TerminalSize, value) && value.Width > 0 && value.Height > 0
      ? value
      : undefined;
  } catch {
    return undefined;
  }
}

async function sendStatus(ws: WebSocket, session: ExecSession): Promise<void> {
  let code: number | null = null;
  let failure: string | undefined;
  const deadline = Date.now() + EXIT_CODE_WAIT_MS;
  try {
    // Docker may still say Running for a moment after the connection ended.
    while ((code = await session.exitCode()) === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
  } catch (err) {
    failure = `could not read the exit code: ${err instanceof Error ? err.message : String(err)}`;
  }
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send(frame1(ExecChannel.Status, Buffer.from(JSON.stringify(execStatus(code, failure)))));
  ws.close(1000);
}

function sendFrame(ws: WebSocket, frame: Buffer, source: Readable): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  ws.send(frame, { binary: true }, () => {
    if (source.isPaused() && ws.bufferedAmount <= LOW_WATER) source.resume();
  });
  if (ws.bufferedAmount > HIGH_WATER) source.pause();
}

function toFrame(chunk: DockerChunk): Buffer {
  return frame1(chunk.stream === 2 ? ExecChannel.Stderr : ExecChannel.Stdout, chunk.data);
}

function frame1(channel: number, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([channel]), payload]);
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
