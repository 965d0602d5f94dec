// The `utopia` binary.
import { CliContext } from './cli-context.js';
import { runCli } from './program.js';

const ctx = new CliContext(
  { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
  process.env,
);
process.exitCode = await runCli(process.argv, ctx);
