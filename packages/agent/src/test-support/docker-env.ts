// Brings up the real Docker Engine for the agent's integration tests; tests only.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';

/** TEST_IMAGE is used by the Docker tests: a local busybox image built by scripts/services/test-image.sh. */
export const TEST_IMAGE = 'utopia-test/busybox:latest';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, cwd: repoRoot, timeout: 300_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function answers(socketPath: string): Promise<boolean> {
  try {
    await new Docker({ socketPath }).ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * ensureDocker is used before the Docker tests: it uses DOCKER_HOST (or the default socket) when
 * that answers, else starts a private dockerd with scripts/services/dockerd.sh, then makes sure
 * the test image exists. It throws (the tests FAIL, never skip) when Docker cannot be had.
 */
export async function ensureDocker(): Promise<{ socketPath: string; docker: Docker }> {
  const fromEnv = process.env.DOCKER_HOST;
  let socketPath: string | undefined;
  if (fromEnv?.startsWith('unix://') && (await answers(fromEnv.slice('unix://'.length)))) {
    socketPath = fromEnv.slice('unix://'.length);
  } else if (!fromEnv && (await answers('/var/run/docker.sock'))) {
    socketPath = '/var/run/docker.sock';
  } else {
    const out = await run(
      'bash',
      ['scripts/services/dockerd.sh', 'start', '.cache/dockerd'],
      process.env,
    );
    const host = /DOCKER_HOST=unix:\/\/(\S+)/.exec(out)?.[1];
    if (!host) throw new Error(`dockerd.sh printed no DOCKER_HOST: ${out}`);
    socketPath = host;
  }
  await run('bash', ['scripts/services/test-image.sh'], {
    ...process.env,
    DOCKER_HOST: `unix://${socketPath}`,
  });
  return { socketPath, docker: new Docker({ socketPath }) };
}
