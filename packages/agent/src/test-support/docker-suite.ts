// One describe() block's share of the REAL Docker Engine and a FakeServer; tests only.
import { after, before, beforeEach } from 'node:test';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type Docker from 'dockerode';
import { ensureDocker } from './docker-env.js';
import { FakeServer } from './fake-server.js';
import { startTestAgent, type TestAgent, type TestAgentOptions } from './test-agent.js';

/** RUN_LABEL is used to mark every container a test run creates, to remove them afterwards. */
export const RUN_LABEL = 'utopia.test_run';

/** DockerSuite is used by the tests of one describe() block; fields are set once before() ran. */
export interface DockerSuite {
  /** Random per run: part of claim ids, node ids and the run label. */
  readonly runId: string;
  readonly fake: FakeServer;
  readonly docker: Docker;
  readonly socketPath: string;
  readonly serverUrl: string;
  /** agent is used to start an agent (simulated GPUs, this run's label) closed after the tests. */
  agent(opts?: Partial<TestAgentOptions>): Promise<TestAgent>;
}

/**
 * useDockerSuite is used inside describe(): it brings up Docker and a FakeServer before the
 * tests, then runs `setup` (to start the agents the tests share), makes every test FAIL (never
 * skip) when any of that cannot be had, and afterwards closes the agents, removes their data
 * directories and every container the run created. The FakeServer hands out node ids unique to
 * the run, so agents of test files sharing the engine never take each other's containers.
 */
export function useDockerSuite(setup?: (suite: DockerSuite) => Promise<void>): DockerSuite {
  const runId = randomBytes(4).toString('hex');
  const agents: TestAgent[] = [];
  let setupError: unknown;
  let env: { docker: Docker; socketPath: string; serverUrl: string } | undefined;
  const ready = (): NonNullable<typeof env> => {
    if (!env) throw new Error('the Docker suite is used before its before() hook ran');
    return env;
  };
  const suite: DockerSuite = {
    runId,
    fake: new FakeServer(`node-${runId}`),
    get docker() {
      return ready().docker;
    },
    get socketPath() {
      return ready().socketPath;
    },
    get serverUrl() {
      return ready().serverUrl;
    },
    agent: async (opts = {}) => {
      const t = await startTestAgent({
        serverUrl: suite.serverUrl,
        socketPath: suite.socketPath,
        simulateGpus: 2,
        runLabel: { [RUN_LABEL]: runId },
        ...opts,
      });
      agents.push(t);
      return t;
    },
  };

  before(async () => {
    try {
      const { docker, socketPath } = await ensureDocker();
      env = { docker, socketPath, serverUrl: await suite.fake.listen() };
      await setup?.(suite);
    } catch (err) {
      setupError = err;
    }
  });

  beforeEach(() => {
    if (setupError) throw setupError;
  });

  after(async () => {
    // Closing twice is harmless: some tests stop (and restart) their agents themselves.
    await Promise.all(agents.map((t) => t.agent.close().catch(() => undefined)));
    for (const t of agents) rmSync(t.dataDir, { recursive: true, force: true });
    await suite.fake.close();
    if (!env) return;
    const left = await suite.docker.listContainers({
      all: true,
      filters: { label: [`${RUN_LABEL}=${runId}`] },
    });
    await Promise.all(left.map((c) => suite.docker.getContainer(c.Id).remove({ force: true })));
  });
  return suite;
}
