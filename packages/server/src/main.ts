#!/usr/bin/env node
import { ConfigError, loadConfig } from './config/config.js';
import { renderHelp } from './config/settings.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${renderHelp()}\n`);
    return;
  }
  let config;
  try {
    config = loadConfig(argv, process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`utopia-server: invalid configuration: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const server = await startServer(config, {
    onAdminPassword: (password) =>
      process.stderr.write(
        `\n  First start: created user 'admin' with password: ${password}\n` +
          '  It is shown only this once. Log in and change it (PUT /api/auth/password).\n\n',
      ),
  });
  const stop = (signal: string): void => {
    process.stderr.write(`utopia-server: ${signal}, shutting down\n`);
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => {
  process.stderr.write(
    `utopia-server: failed to start: ${e instanceof Error ? e.message : String(e)}\n`,
  );
  process.exit(1);
});
