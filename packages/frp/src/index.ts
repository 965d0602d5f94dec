// What the server (frps) and the agent (frpc) both need to run frp: the pinned binaries, a small
// TOML writer, a process supervisor with backoff, and leftover-process cleanup.
export * from './toml.js';
export * from './process-supervisor.js';
export * from './pid-file.js';
export * from './free-port.js';
export * from './frp-binaries.js';

/** FRP_CREDENTIAL_META is used as the frpc `metadatas` key carrying the node credential. */
export const FRP_CREDENTIAL_META = 'utopia_credential';
