import { toCloseReason } from '@utopia/shared';
import { WebSocket, type RawData } from 'ws';

/**
 * WsCloseCode is used for the close codes the server itself sends (RFC 6455 §7.4.1); a code
 * received from one side is otherwise handed on unchanged.
 */
export const WsCloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  /** The other side went away without a close frame (1006 received, which cannot be sent). */
  PeerGone: 1011,
  InternalError: 1011,
  /** The claim was deleted (or its container went) while the stream was open. */
  ClaimGone: 4404,
} as const;

/** PipeOptions is used to tune how much one side may have queued before the other is paused. */
export interface PipeOptions {
  /** Pause the source once the destination has this many bytes queued (default 1 MiB). */
  highWaterMark?: number;
  /** Resume the source once the destination is back under this (default a quarter of high). */
  lowWaterMark?: number;
  /**
   * Runs once the first side has closed, before its close is handed to the other side: what
   * the other side may read once it sees the close (an event, say) is written by then.
   */
  beforeClosingOther?: (end: PipeEnd) => Promise<void>;
}

/** PipeEnd is used to say how a piped pair ended: the first close seen, and on which side. */
export interface PipeEnd {
  side: 'a' | 'b';
  code: number;
  reason: string;
}

/**
 * pipeWebSockets is used to join two open WebSockets (a user's and an agent's): every message
 * goes across with its binary/text kind, a side with too much queued pauses the other, and the
 * first close or error closes both. Paused sockets are resumed once listened to. It resolves
 * once both sides are closed.
 */
export function pipeWebSockets(
  a: WebSocket,
  b: WebSocket,
  opts: PipeOptions = {},
): Promise<PipeEnd> {
  const high = opts.highWaterMark ?? 1024 * 1024;
  const low = opts.lowWaterMark ?? Math.floor(high / 4);
  forward(a, b, high, low);
  forward(b, a, high, low);
  // A socket handed over paused (as openWebSocket hands it) starts flowing now that it is heard.
  if (a.isPaused) a.resume();
  if (b.isPaused) b.resume();
  return new Promise((resolve) => {
    let first: PipeEnd | undefined;
    let closed = 0;
    const onClose =
      (side: 'a' | 'b', from: WebSocket, to: WebSocket) => (code: number, reason: Buffer) => {
        from.removeAllListeners('message');
        const text = reason.toString('utf8');
        const isFirst = first === undefined;
        const end = (first ??= { side, code, reason: text });
        const settle = () => {
          closeWith(to, forwardableCode(code), text);
          if (++closed === 2) resolve(end);
        };
        if (!isFirst || !opts.beforeClosingOther) return settle();
        // A failing hook must not keep the other side open.
        opts.beforeClosingOther(end).then(settle, settle);
      };
    a.once('close', onClose('a', a, b));
    b.once('close', onClose('b', b, a));
    // ws emits 'close' after 'error'; the error only decides the code the other side gets.
    a.on('error', (err) => closeWith(b, WsCloseCode.InternalError, err.message));
    b.on('error', (err) => closeWith(a, WsCloseCode.InternalError, err.message));
  });
}

function forward(from: WebSocket, to: WebSocket, high: number, low: number): void {
  from.on('message', (data: RawData, isBinary: boolean) => {
    if (to.readyState !== WebSocket.OPEN) return;
    to.send(data, { binary: isBinary }, () => {
      // The callback runs once this frame is handed to the socket: the queue may have drained.
      if (from.isPaused && to.bufferedAmount <= low) from.resume();
    });
    if (to.bufferedAmount > high) from.pause();
  });
}

/**
 * closeWith is used to close a WebSocket that may already be closing, with a code it may send;
 * the reason is cut to what a close frame holds.
 */
export function closeWith(ws: WebSocket, code: number, reason = ''): void {
  if (ws.readyState === WebSocket.CLOSED || ws.readyState === WebSocket.CLOSING) return;
  // A paused socket would never read the peer's close frame back.
  if (ws.isPaused) ws.resume();
  ws.close(code, toCloseReason(reason));
}

/** forwardableCode maps the codes a peer can report but nobody may send (1005, 1006, 1015). */
export function forwardableCode(code: number): number {
  if (code === 1005) return WsCloseCode.Normal;
  if (code === 1006 || code === 1015) return WsCloseCode.PeerGone;
  const sendable =
    (code >= 1000 && code <= 1014 && code !== 1004) || (code >= 3000 && code <= 4999);
  return sendable ? code : WsCloseCode.InternalError;
}
