// Public surface of the server's tunnel module: frps config + supervisor, discovery client,
// and the server-plugin decisions behind POST /api/tunnel/frp-plugin.
export * from './frps-config.js';
export * from './frps-supervisor.js';
export * from './frps-admin.client.js';
export * from './frp-plugin.js';
export { findFreePort } from '@utopia/frp';
export { ensureFrpBinaries, type FrpBinaries } from '@utopia/frp';
export type { BackoffOptions, SupervisorState } from '@utopia/frp';
