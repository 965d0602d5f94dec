// Command-line arguments of the chaos runner.

/** ChaosArgs is used for what one chaos run was asked to do. */
export interface ChaosArgs {
  minutes: number;
  seed: number;
  agents: number;
  report: string | undefined;
  keep: boolean;
}

/** ArgsError is used for a bad command line (exit code 2). */
export class ArgsError extends Error {}

const USAGE =
  'usage: npm run chaos -- --minutes N --seed S [--agents 4..6] [--report FILE] [--keep]';

/** parseArgs is used to read --minutes, --seed, --agents, --report and --keep. */
export function parseArgs(argv: readonly string[]): ChaosArgs {
  const out: ChaosArgs = { minutes: 3, seed: 1, agents: 4, report: undefined, keep: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    if (flag === '--keep') {
      out.keep = true;
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new ArgsError(`${flag} needs a value\n${USAGE}`);
    const num = Number(value);
    if (flag === '--minutes' && num > 0 && num <= 24 * 60) out.minutes = num;
    else if (flag === '--seed' && Number.isInteger(num) && num >= 0 && num < 2 ** 32)
      out.seed = num;
    else if (flag === '--agents' && Number.isInteger(num) && num >= 1 && num <= 8) out.agents = num;
    else if (flag === '--report') out.report = value;
    else throw new ArgsError(`bad argument ${flag} ${value}\n${USAGE}`);
  }
  return out;
}
