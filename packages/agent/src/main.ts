#!/usr/bin/env node
// utopia-agent: the Utopia node agent. Exit codes: 0 stopped, 1 failed, 2 bad settings.
import { startAgent, type RunningAgent } from './agent.js';
import { ConfigError, parseCommandLine } from './config/agent-config.js';
import { renderAgentHelp } from './config/agent-settings.js';
import { RegistrationError } from './registration/registration.client.js';
import { IdentityFileError } from './registration/identity-store.js';
import { AGENT_VERSION } from './version.js';

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`utopia-agent: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (parsed.action === 'help') {
    process.stdout.write(`${renderAgentHelp()}\n`);
    return 0;
  }
  if (parsed.action === 'version') {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }
  let agent: RunningAgent | undefined;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`utopia-agent: ${signal}, stopping (containers keep running)\n`);
    // Stop accepting requests and close the server; containers are left for the next start.
    void (agent ? agent.close() : Promise.resolve()).then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  try {
    agent = await startAgent(parsed.config);
  } catch (err) {
    if (err instanceof RegistrationError || err instanceof IdentityFileError) {
      process.stderr.write(`utopia-agent: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  if (stopping) await agent.close();
  return -1; // keep running until a signal
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(
      `utopia-agent: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
