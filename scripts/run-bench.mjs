// Runs the benchmarks (packages/*/bench/*.bench.ts) one after another, through tsx, importing
// workspace packages from their TypeScript sources, and prints each one's tables and a summary.
// Exits non-zero when a benchmark fails.
//
//   npm run bench                  # every benchmark
//   npm run bench -- scheduler     # those whose file name contains "scheduler"
//
// End-to-end benchmarks (*.e2e.bench.ts) need a Docker Engine: DOCKER_HOST is reused when it
// answers; otherwise scripts/services/dockerd.sh starts a private one under .cache/dockerd (and
// it is stopped again at the end if this script started it), and scripts/services/test-image.sh
// builds the test image.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath, URL } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
process.chdir(root);
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const PER_BENCH_TIMEOUT_MS = Number(process.env.UTOPIA_BENCH_TIMEOUT_MS ?? 300_000);

function findBenches() {
  const out = [];
  for (const pkg of readdirSync('packages').sort()) {
    const dir = join('packages', pkg, 'bench');
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort())
      if (name.endsWith('.bench.ts')) out.push(join(dir, name));
  }
  return out;
}

const benches = findBenches().filter(
  (f) => filters.length === 0 || filters.some((w) => f.includes(w)),
);
if (benches.length === 0) {
  console.error(`run-bench: no benchmark matches ${filters.join(' ') || '(any)'}`);
  process.exit(1);
}

const dockerAnswers = (host) =>
  spawnSync('docker', ['info'], {
    env: { ...process.env, DOCKER_HOST: host },
    stdio: 'ignore',
    timeout: 20_000,
  }).status === 0;

/**
 * ensureDocker is used to find or start a Docker Engine and the test image; returns a stop().
 * Engines that already answer (DOCKER_HOST, the private one under .cache/dockerd, the system
 * socket) are probed here first: dockerd.sh takes a lock on its directory before it looks, and a
 * dockerd it started earlier still holds that lock, so asking it again would wait forever.
 */
function ensureDocker() {
  const dir = join(root, '.cache', 'dockerd');
  const ours = `unix://${join(dir, 'docker.sock')}`;
  const candidates = [process.env.DOCKER_HOST, ours, 'unix:///var/run/docker.sock'];
  let stop = () => {};
  const found = candidates.find((h) => h && dockerAnswers(h));
  if (found) {
    process.env.DOCKER_HOST = found;
    console.log(`run-bench: using DOCKER_HOST=${found}`);
  } else {
    const env = { ...process.env };
    delete env.DOCKER_HOST;
    const started = spawnSync('bash', ['scripts/services/dockerd.sh', 'start', dir], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 180_000,
    });
    const line = (started.stdout ?? '').trim().split('\n').pop() ?? '';
    if (started.status !== 0 || !line.startsWith('DOCKER_HOST=')) {
      throw new Error(`could not start a Docker Engine (scripts/services/dockerd.sh): ${line}`);
    }
    process.env.DOCKER_HOST = line.slice('DOCKER_HOST='.length);
    console.log(`run-bench: started DOCKER_HOST=${process.env.DOCKER_HOST}`);
    if (process.env.DOCKER_HOST === ours)
      stop = () =>
        spawnSync('bash', ['scripts/services/dockerd.sh', 'stop', dir], { stdio: 'inherit' });
  }
  const image = spawnSync('bash', ['scripts/services/test-image.sh'], {
    stdio: 'inherit',
    timeout: 180_000,
  });
  if (image.status !== 0) {
    stop();
    throw new Error('could not build the test image (scripts/services/test-image.sh)');
  }
  return stop;
}

let stopDocker = () => {};
const results = [];
try {
  if (benches.some((f) => f.endsWith('.e2e.bench.ts'))) stopDocker = ensureDocker();
  for (const file of benches) {
    console.log(`\n=== ${relative(root, file)}`);
    const started = Date.now();
    const run = spawnSync(
      process.execPath,
      ['--conditions=utopia-source', '--import', 'tsx', file],
      { stdio: 'inherit', timeout: PER_BENCH_TIMEOUT_MS, killSignal: 'SIGTERM' },
    );
    const seconds = (Date.now() - started) / 1000;
    const ok = run.status === 0;
    const why = run.error ? ` (${run.error.message})` : run.signal ? ` (${run.signal})` : '';
    results.push({ file, ok, seconds, why: ok ? '' : `exit ${run.status}${why}` });
  }
} catch (err) {
  console.error(`run-bench: ${err instanceof Error ? err.message : String(err)}`);
  results.push({ file: '(setup)', ok: false, seconds: 0, why: 'setup failed' });
} finally {
  stopDocker();
}

console.log('\n=== summary\n');
for (const r of results)
  console.log(
    `${r.ok ? 'ok  ' : 'FAIL'}  ${r.file.padEnd(48)} ${r.seconds.toFixed(1).padStart(6)} s  ${r.why}`,
  );
process.exit(results.every((r) => r.ok) ? 0 : 1);
