// What other packages' end-to-end tests (the CLI's, the web UI's) use to run a real cluster.
export * from './cluster.js';
export * from './harness.js';
export * from './claims-client.js';
