import { toCloseReason } from '@utopia/shared';
import { WebSocket, type RawData } from 'ws';
import type { PortBridge } from '../runtime/port-bridge.js';

/** Pause the container's output once this much waits to go out on the WebSocket. */
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;

/** Close codes of a port-forward WebSocket (docs/api.md, "Port-forward"). */
const CloseCode = {
  Normal: 1000,
  UnsupportedData: 1003,
  InternalError: 1011,
} as const;

/**
 * pipeSocketToBridge is used to carry one port-forward: binary frames in go to the container's
 * port, bytes out come back as binary frames, each side is paused while the other is full, and
 * the first side to end ends both (1000 when the container closed cleanly, 1011 with the reason
 * when the connection broke, 1003 for a text frame).
 */
export function pipeSocketToBridge(ws: WebSocket, bridge: PortBridge): void {
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      ws.close(CloseCode.UnsupportedData, 'port-forward carries binary frames only');
      return;
    }
    if (!bridge.input.write(toBuffer(data))) ws.pause();
  });
  bridge.input.on('drain', () => {
    if (ws.isPaused) ws.resume();
  });
  bridge.output.on('data', (chunk: Buffer) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    ws.send(chunk, { binary: true }, () => {
      if (bridge.output.isPaused() && ws.bufferedAmount <= LOW_WATER_BYTES) bridge.output.resume();
    });
    if (ws.bufferedAmount > HIGH_WATER_BYTES) bridge.output.pause();
  });
  // The close frame is queued behind every byte already sent, so the client gets them all.
  void bridge.ended.then((end) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (ws.isPaused) ws.resume();
    ws.close(end.ok ? CloseCode.Normal : CloseCode.InternalError, toCloseReason(end.detail));
  });
  ws.once('close', () => bridge.close());
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}
