import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  ProcessSupervisor,
  restartDelayMs,
  type ProcessExitInfo,
  type ProcessSupervisorOptions,
} from './process-supervisor.js';

const FAST = { initialMs: 20, maxMs: 80, resetAfterMs: 60_000 };

function node(script: string): Pick<ProcessSupervisorOptions, 'command' | 'args'> {
  return { command: process.execPath, args: ['-e', script] };
}

async function until(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('restartDelayMs', () => {
  it('doubles from initialMs and caps at maxMs', () => {
    const b = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };
    assert.deepEqual(
      [1, 2, 3, 4, 7, 8, 100].map((n) => restartDelayMs(n, b)),
      [500, 1000, 2000, 4000, 30_000, 30_000, 30_000],
    );
  });
});

describe('ProcessSupervisor', () => {
  it('restarts a crashing process with growing delays and reports each exit', async () => {
    const exits: ProcessExitInfo[] = [];
    const sup = new ProcessSupervisor({
      ...node('process.exit(3)'),
      backoff: FAST,
      onExit: (info) => exits.push(info),
    });
    sup.start();
    await until(() => exits.length >= 3);
    await sup.stop();
    assert.equal(exits[0]?.code, 3);
    assert.deepEqual(
      exits.slice(0, 3).map((e) => e.restartInMs),
      [20, 40, 80],
    );
    assert.equal(sup.state, 'stopped');
  });

  it('resets the backoff after a run that lasted resetAfterMs', async () => {
    const exits: ProcessExitInfo[] = [];
    const sup = new ProcessSupervisor({
      ...node('setTimeout(() => process.exit(1), 150)'),
      backoff: { initialMs: 20, maxMs: 1_000, resetAfterMs: 100 },
      onExit: (info) => exits.push(info),
    });
    sup.start();
    await until(() => exits.length >= 2);
    await sup.stop();
    assert.deepEqual(
      exits.slice(0, 2).map((e) => e.restartInMs),
      [20, 20],
    );
  });

  it('captures output lines and fires onStart once the readiness probe passes', async () => {
    const lines: string[] = [];
    const starts: number[] = [];
    let ready = false;
    const sup = new ProcessSupervisor({
      ...node('console.log("hello"); console.error("oops"); setInterval(() => {}, 1000)'),
      isReady: async () => ready,
      readyPollMs: 10,
      onOutput: (line, stream) => lines.push(`${stream}:${line}`),
      onStart: (info) => starts.push(info.starts),
    });
    sup.start();
    await until(() => lines.length === 2);
    assert.equal(sup.state, 'starting');
    ready = true;
    await until(() => starts.length === 1);
    assert.equal(sup.state, 'running');
    await sup.stop();
    assert.deepEqual(lines.sort(), ['stderr:oops', 'stdout:hello']);
  });

  it('stops with SIGTERM and leaves no process behind', async () => {
    const sup = new ProcessSupervisor(node('setInterval(() => {}, 1000)'));
    sup.start();
    await until(() => sup.state === 'running');
    const pid = sup.pid;
    assert.ok(pid);
    await sup.stop();
    assert.equal(isAlive(pid), false);
    assert.equal(sup.pid, undefined);
  });

  it('falls back to SIGKILL when the child ignores SIGTERM', async () => {
    const exits: ProcessExitInfo[] = [];
    let armed = false;
    const sup = new ProcessSupervisor({
      ...node('process.on("SIGTERM", () => {}); console.log("armed"); setInterval(() => {}, 1000)'),
      stopTimeoutMs: 200,
      onOutput: (line) => (armed ||= line === 'armed'),
      onExit: (info) => exits.push(info),
    });
    sup.start();
    // 1. wait until the SIGTERM handler is installed, or SIGTERM alone would end it
    await until(() => armed);
    // 2. stop: SIGTERM is ignored, SIGKILL follows after stopTimeoutMs
    const t0 = Date.now();
    await sup.stop();
    assert.ok(Date.now() - t0 >= 150);
    assert.equal(exits.at(-1)?.signal, 'SIGKILL');
    assert.equal(exits.at(-1)?.restartInMs, null);
  });

  it('treats a missing binary and a failing prepare as crashes, with backoff', async () => {
    const errors: string[] = [];
    const sup = new ProcessSupervisor({
      command: '/nonexistent/frpc',
      args: [],
      backoff: FAST,
      onExit: (info) => errors.push(info.error?.message ?? ''),
    });
    sup.start();
    await until(() => errors.length >= 2);
    await sup.stop();
    assert.match(errors[0] ?? '', /ENOENT/);

    let calls = 0;
    const failing = new ProcessSupervisor({
      ...node(''),
      backoff: FAST,
      prepare: async () => {
        calls += 1;
        throw new Error('bad config');
      },
      onExit: (info) => errors.push(info.error?.message ?? ''),
    });
    failing.start();
    await until(() => calls >= 2);
    await failing.stop();
    assert.ok(errors.includes('bad config'));
  });

  it('refuses a second start', () => {
    const sup = new ProcessSupervisor(node(''));
    sup.start();
    assert.throws(() => sup.start());
    return sup.stop();
  });

  it('restart() ends the current run and a fresh one follows', async () => {
    const starts: number[] = [];
    const sup = new ProcessSupervisor({
      ...node('setInterval(() => {}, 1000)'),
      backoff: FAST,
      onStart: (info) => starts.push(info.pid),
    });
    sup.start();
    await until(() => starts.length === 1);
    sup.restart();
    await until(() => starts.length === 2);
    await sup.stop();
    assert.notEqual(starts[0], starts[1]);
    assert.equal(isAlive(starts[0] ?? 0), false);
  });

  it('ends a leftover of the same command named in the pid file, and only that', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pidfile-'));
    const pidFile = join(dir, 'child.pid');
    const script = 'setInterval(() => {}, 1000)';
    const other = 'setInterval(() => {}, 999)';
    // 1. an orphan from a "crashed" parent, and an unrelated process
    const orphan = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const unrelated = spawn(process.execPath, ['-e', other], { stdio: 'ignore' });
    let second: ProcessSupervisor | undefined;
    try {
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(orphan.pid && unrelated.pid);
      // 2. an unrelated pid in the file is left alone
      await writeFile(pidFile, `${unrelated.pid}\n`);
      const ended: number[] = [];
      const first = new ProcessSupervisor({
        ...node(script),
        pidFile,
        onStaleProcessEnded: (pid) => ended.push(pid),
      });
      first.start();
      await until(() => first.state === 'running');
      await first.stop();
      assert.equal(ended.length, 0);
      assert.equal(isAlive(unrelated.pid), true);
      // 3. the orphan running our exact command line is ended before the new child starts
      await writeFile(pidFile, `${orphan.pid}\n`);
      second = new ProcessSupervisor({
        ...node(script),
        pidFile,
        onStaleProcessEnded: (pid) => ended.push(pid),
      });
      second.start();
      const sup = second;
      await until(() => sup.state === 'running');
      await until(() => orphan.exitCode !== null || orphan.signalCode !== null);
      assert.deepEqual(ended, [orphan.pid]);
      await until(() => sup.pid !== undefined);
      assert.equal((await readFile(pidFile, 'utf8')).trim(), String(sup.pid));
      await sup.stop();
      assert.equal(await readFile(pidFile, 'utf8').catch(() => 'gone'), 'gone');
    } finally {
      await second?.stop();
      orphan.kill('SIGKILL');
      unrelated.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    }
  });
});
