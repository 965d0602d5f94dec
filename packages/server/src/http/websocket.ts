import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { Errors } from '../errors.js';

/**
 * WS_MAX_PAYLOAD_BYTES is used to bound one message a client may send: a stream's frames are
 * chunks of a byte stream, so a client never needs larger ones, and a frame is held whole.
 */
export const WS_MAX_PAYLOAD_BYTES = 4 * 1024 * 1024;

/**
 * registerWebSockets is used once, before any route: upgrade requests go through the same
 * router and hooks (authentication, access rule, validation) as plain requests, and a hook that
 * refuses answers with a normal HTTP status before anything is upgraded.
 */
export async function registerWebSockets(app: FastifyInstance): Promise<void> {
  await app.register(websocket, {
    // Compression would let a small frame inflate to a large one, and streams are mostly
    // already compressed or binary.
    options: { maxPayload: WS_MAX_PAYLOAD_BYTES, perMessageDeflate: false },
    errorHandler(err, socket, request) {
      request.log.debug({ err }, 'websocket failed');
      socket.terminate();
    },
  });
}

/**
 * refuseWithoutUpgrade is used as the plain-HTTP handler of a WebSocket route (`wsHandler` serves
 * the upgraded request), so a GET without an upgrade gets a coded 426, not a hang.
 */
export async function refuseWithoutUpgrade(): Promise<never> {
  throw Errors.upgradeRequired();
}
