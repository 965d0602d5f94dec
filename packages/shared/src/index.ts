// Wire types and JSON schemas shared by the server, agent, CLI and web UI.
export * from './errors.js';
export * from './sse.js';
export * from './api/common.js';
export * from './api/users.js';
export * from './api/auth.js';
export * from './image-reference.js';
export * from './agent-api.js';
export * from './api/nodes.js';
export * from './api/claims.js';
export * from './api/volumes.js';
export * from './gpu.js';
export * from './api/watch.js';
export * from './wire-check.js';
export * from './websocket-close.js';
export * from './api/streams.js';
export * from './api/port-forward.js';
export * from './api/events.js';
