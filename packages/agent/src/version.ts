/** AGENT_VERSION is used to tell the server which agent build registers (keep in step with package.json). */
export const AGENT_VERSION = '0.1.0';
