// Runs the test files (*.test.ts) of the given folders (default: every package) with node's test
// runner, through tsx, importing workspace packages from their TypeScript sources.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('--'));

function findTests(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = (roots.length > 0 ? roots : ['packages', 'scripts'])
  .flatMap((r) => (statSync(r).isDirectory() ? findTests(r, []) : [r]))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
// Which Node ran the suite belongs in its log (scripts/test-all.sh runs it on two).
console.log(`run-tests: ${files.length} test files on Node ${process.version}`);
const result = spawnSync(
  process.execPath,
  [
    '--conditions=utopia-source',
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    `--test-concurrency=${process.env.UTOPIA_TEST_CONCURRENCY ?? '2'}`,
    ...passthrough,
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
