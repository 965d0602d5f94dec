// Public surface of the agent's tunnel module, for the agent's wiring and the server's tests.
export * from './frpc-config.js';
export * from './frpc-admin.client.js';
export * from './frpc-supervisor.js';
export * from '@utopia/frp';
export * from '@utopia/frp';
export * from '@utopia/frp';
export * from '@utopia/frp';
export * from '@utopia/frp';
