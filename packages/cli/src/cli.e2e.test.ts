// The `utopia` binary against a real server, real agents (simulated GPUs) and real Docker.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  startCluster,
  firstTestDatabase,
  TEST_IMAGE,
  waitFor,
  type TestCluster,
} from '@utopia/server/testing';
import { BIN, runCli } from './testing/run-cli.js';

// The CLI is a client of the API, which its own suites test on every database: one is enough.
for (const dbKind of [firstTestDatabase()]) {
  describe(`utopia CLI end to end (${dbKind})`, () => {
    let c: TestCluster;
    let home: string;
    let alice: Record<string, string>;
    let bob: Record<string, string>;
    let admin: Record<string, string>;

    before(async () => {
      c = await startCluster(dbKind, [4]);
      home = mkdtempSync(join(tmpdir(), 'utopia-cli-'));
      const base = { HOME: home, NO_COLOR: '1' };
      admin = {
        ...base,
        UTOPIA_CONFIG: join(home, 'admin.yaml'),
        UTOPIA_SERVER: c.t.url,
        UTOPIA_TOKEN: await c.t.adminToken(),
      };
      alice = { ...base, UTOPIA_CONFIG: join(home, 'alice', '.config', 'utopia', 'config.yaml') };
      bob = { ...base, UTOPIA_CONFIG: join(home, 'bob.yaml') };
      for (const name of ['alice', 'bob']) {
        const r = await runCli(
          ['users', 'create', name, '--gpu-quota', '4', '--password-stdin'],
          admin,
          {
            stdin: `${name}-password-1\n`,
          },
        );
        assert.equal(r.code, 0, r.stderr);
      }
      await waitFor('the node Online', async () => {
        const r = await runCli(['get', 'nodes', '-o', 'json'], admin);
        return (
          r.code === 0 &&
          (JSON.parse(r.stdout) as { items: { status: string }[] }).items[0]?.status === 'Online'
        );
      });
    });
    after(async () => {
      await c.close();
      rmSync(home, { recursive: true, force: true });
    });

    test('login stores a token in a 0600 file in a 0700 directory; whoami; --version', async () => {
      const r = await runCli(
        ['login', '--server', c.t.url, '--username', 'alice', '--password-stdin', '--name', 'lab'],
        alice,
        { stdin: 'alice-password-1\n' },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Logged in to .* as alice \(user\); context lab/);
      const file = alice.UTOPIA_CONFIG ?? '';
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal(statSync(join(file, '..')).mode & 0o777, 0o700);
      const who = await runCli(['whoami'], alice);
      assert.equal(who.code, 0, who.stderr);
      assert.match(who.stdout, /^alice \(user\) at http:\/\/127\.0\.0\.1:\d+ \(context lab\)/);
      const version = await runCli(['--version'], alice);
      assert.equal(version.code, 0, version.stderr);
      assert.match(version.stdout, /^client: 0\.1\.0\nserver: 0\.1\.0\n$/);

      const bad = await runCli(
        ['login', '--server', c.t.url, '--username', 'bob', '--password-stdin'],
        bob,
        {
          stdin: 'wrong-password\n',
        },
      );
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /\(UNAUTHENTICATED\)/);
      const good = await runCli(
        ['login', '--server', c.t.url, '--username', 'bob', '--password-stdin'],
        bob,
        {
          stdin: 'bob-password-1\n',
        },
      );
      assert.equal(good.code, 0, good.stderr);
    });

    test('run --wait reaches Running; get -o json parses; describe shows it', async () => {
      const r = await runCli(
        [
          'run',
          '--gpus',
          '1',
          '--name',
          'train-1',
          '-e',
          'EPOCHS=3',
          '--wait',
          '--timeout',
          '60s',
          '-o',
          'json',
          TEST_IMAGE,
          '--',
          'sleep',
          '3600',
        ],
        alice,
        { timeoutMs: 90_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      const claim = JSON.parse(r.stdout) as {
        name: string;
        status: { phase: string; gpuIds: number[] };
      };
      assert.equal(claim.name, 'train-1');
      assert.equal(claim.status.phase, 'Running');
      assert.equal(claim.status.gpuIds.length, 1);

      const list = await runCli(['get', 'claims', '-o', 'json'], alice);
      assert.equal(list.code, 0, list.stderr);
      const items = (
        JSON.parse(list.stdout) as { items: { name: string; status: { phase: string } }[] }
      ).items;
      assert.deepEqual(
        items.map((i) => [i.name, i.status.phase]),
        [['train-1', 'Running']],
      );

      const table = await runCli(['get', 'claims'], alice);
      assert.match(
        table.stdout,
        /^NAME\s+PHASE\s+GPUS\s+NODE\s+RESTARTS\s+AGE\ntrain-1\s+Running\s+1\s+node-0\s+0\s+\d+s\n$/,
      );

      const d = await runCli(['describe', 'claim', 'train-1'], alice);
      assert.equal(d.code, 0, d.stderr);
      assert.match(d.stdout, /^Name:\s+train-1$/m);
      assert.match(d.stdout, /^Phase:\s+Running$/m);
      assert.match(d.stdout, /^Env:\s+EPOCHS$/m);
      assert.doesNotMatch(d.stdout, /EPOCHS=3/, 'env values are not printed');
      assert.match(d.stdout, /Events:\n\s+TYPE\s+REASON\s+AGE\s+MESSAGE\n(.|\n)*Started/);
    });

    test('logs -f follows and stops when the claim is deleted; exec propagates exit codes', async () => {
      const run = await runCli(
        [
          'run',
          '--gpus',
          '1',
          '--name',
          'talker',
          '--wait',
          TEST_IMAGE,
          '--',
          'sh',
          '-c',
          'echo hello-from-claim; while true; do echo tick; sleep 1; done',
        ],
        alice,
        { timeoutMs: 90_000 },
      );
      assert.equal(run.code, 0, run.stderr);
      const tail = await runCli(['logs', 'talker', '--tail', '100'], alice);
      assert.equal(tail.code, 0, tail.stderr);
      assert.match(tail.stdout, /^hello-from-claim\n/);

      const follow = spawnFollow(['logs', 'talker', '-f'], alice);
      await waitFor('followed output', async () => follow.stdout().includes('tick'));
      assert.equal((await runCli(['delete', 'talker'], alice)).code, 0);
      const code = await follow.exit;
      assert.equal(code, 0, 'logs -f ends cleanly once the claim is deleted');

      const exec = await runCli(
        ['run', '--gpus', '1', '--name', 'shell', '--wait', TEST_IMAGE, '--', 'sleep', '3600'],
        alice,
        { timeoutMs: 90_000 },
      );
      assert.equal(exec.code, 0, exec.stderr);
      const echo = await runCli(['exec', 'shell', '--', 'echo', 'hi there'], alice);
      assert.equal(echo.code, 0, echo.stderr);
      assert.equal(echo.stdout, 'hi there\n');
      const fail = await runCli(
        ['exec', 'shell', '--', 'sh', '-c', 'echo oops >&2; exit 7'],
        alice,
      );
      assert.equal(fail.code, 7);
      assert.match(fail.stderr, /^oops\n/);
      const stdin = await runCli(['exec', '-i', 'shell', '--', 'tr', 'a-z', 'A-Z'], alice, {
        stdin: 'piped in\n',
      });
      assert.equal(stdin.stdout, 'PIPED IN\n');
      const stranger = await runCli(['exec', 'shell', '--', 'true'], bob);
      assert.equal(stranger.code, 1);
    });

    test('port-forward carries bytes both ways', async () => {
      const r = await runCli(
        [
          'run',
          '--gpus',
          '1',
          '--name',
          'echo',
          '--wait',
          TEST_IMAGE,
          '--',
          'busybox',
          'nc',
          '-ll',
          '-p',
          '7000',
          '-e',
          'cat',
        ],
        alice,
        { timeoutMs: 90_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      const pf = spawnFollow(['port-forward', 'echo', ':7000'], alice);
      await waitFor('the forward to listen', async () =>
        /Forwarding from 127\.0\.0\.1:\d+ -> 7000/.test(pf.stdout()),
      );
      const port = Number(/127\.0\.0\.1:(\d+)/.exec(pf.stdout())?.[1]);
      const payload = randomBytes(256 * 1024);
      const echoed = await new Promise<Buffer>((resolve, reject) => {
        const chunks: Buffer[] = [];
        let got = 0;
        const sock = connect(port, '127.0.0.1', () => sock.write(payload));
        sock.on('data', (d: Buffer) => {
          chunks.push(d);
          got += d.length;
          if (got >= payload.length) {
            sock.destroy();
            resolve(Buffer.concat(chunks));
          }
        });
        sock.on('error', reject);
      });
      const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
      assert.equal(sha(echoed.subarray(0, payload.length)), sha(payload));
      pf.kill();
      await pf.exit;
      assert.equal(
        (await runCli(['delete', 'echo', 'shell', '--wait'], alice, { timeoutMs: 90_000 })).code,
        0,
      );
    });

    test('another user cannot see the claim', async () => {
      const r = await runCli(['get', 'claim', 'train-1'], bob);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /claim train-1 not found \(NOT_FOUND\)/);
      const list = await runCli(['get', 'claims', '-o', 'json'], bob);
      assert.deepEqual(JSON.parse(list.stdout), { items: [] });
      const del = await runCli(['delete', 'train-1'], bob);
      assert.equal(del.code, 1);
    });

    test('apply twice is a no-op; a changed spec is refused', async () => {
      const file = join(home, 'claim.yaml');
      writeFileSync(
        file,
        `name: applied\nspec:\n  image: ${TEST_IMAGE}\n  resources: { gpuCount: 1 }\n  command: [sleep, "3600"]\n`,
      );
      const first = await runCli(['apply', '-f', file], alice);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stdout, 'claim/applied created\n');
      const second = await runCli(['apply', '-f', file], alice);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(second.stdout, 'claim/applied unchanged\n');
      const json = JSON.stringify({
        name: 'applied',
        spec: { image: TEST_IMAGE, resources: { gpuCount: 1 }, command: ['sleep', '3600'] },
      });
      const fromStdin = await runCli(['apply', '-f', '-'], alice, { stdin: json });
      assert.equal(fromStdin.stdout, 'claim/applied unchanged\n');
      writeFileSync(
        file,
        `name: applied\nspec:\n  image: ${TEST_IMAGE}\n  resources: { gpuCount: 2 }\n`,
      );
      const changed = await runCli(['apply', '-f', file], alice);
      assert.equal(changed.code, 1);
      assert.match(changed.stderr, /exists with a different spec.*\(CONFLICT\)/);
      const list = await runCli(['get', 'claims', '-o', 'name'], alice);
      assert.equal(list.stdout.split('\n').filter((l) => l === 'claim/applied').length, 1);
    });

    test('wait --timeout exits with the timeout code', async () => {
      const r = await runCli(
        ['wait', 'train-1', '--for', 'phase=Succeeded', '--timeout', '2s'],
        alice,
      );
      assert.equal(r.code, 124, r.stderr);
      assert.match(
        r.stderr,
        /timed out after 2s waiting for claim train-1 phase Succeeded \(TIMEOUT\)/,
      );
      const ok = await runCli(
        ['wait', 'train-1', '--for', 'phase=Running', '--timeout', '10s'],
        alice,
      );
      assert.equal(ok.code, 0, ok.stderr);
    });

    test('delete --wait returns once the claim is gone', async () => {
      const r = await runCli(
        ['delete', 'train-1', 'applied', '--wait', '--timeout', '60s'],
        alice,
        { timeoutMs: 90_000 },
      );
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'claim/train-1 deleted\nclaim/applied deleted\n');
      const gone = await runCli(['get', 'claim', 'train-1'], alice);
      assert.equal(gone.code, 1);
      const again = await runCli(['delete', 'train-1', '--ignore-not-found'], alice);
      assert.equal(again.code, 0, again.stderr);
    });

    test('bad usage exits 2 with a clear message', async () => {
      const cases: [string[], RegExp][] = [
        [['run', '--gpus', 'two', TEST_IMAGE], /--gpus: "two" is not a whole number/],
        [['get', 'claims', '-o', 'xml'], /-o must be one of table, wide, json, yaml, name/],
        [['frobnicate'], /unknown command "frobnicate"/],
        [['run'], /missing required argument 'image'/],
        [
          ['wait', 'x', '--for', 'phase=Sleeping'],
          /--for phase=Sleeping: use phase=<Phase> or delete/,
        ],
        [['get', 'claims', '--bogus'], /unknown option '--bogus'/],
      ];
      for (const [args, message] of cases) {
        const r = await runCli(args, alice);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
      }
    });

    test('an API refusal exits 1 with the API code; no server is a clear error', async () => {
      const r = await runCli(['run', '--gpus', '64', TEST_IMAGE], alice);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /\(CONFLICT\)|\(QUOTA_EXCEEDED\)/);
      const none = await runCli(['get', 'claims'], {
        HOME: home,
        UTOPIA_CONFIG: join(home, 'none.yaml'),
      });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no server: run `utopia login --server URL`/);
    });

    test('admins: nodes, cordon, label, join tokens', async () => {
      const nodes = await runCli(['get', 'nodes'], admin);
      assert.match(nodes.stdout, /^NAME\s+STATUS\s+GPUS\s+MODEL/);
      assert.equal((await runCli(['cordon', 'node-0'], admin)).stdout, 'node/node-0 cordoned\n');
      assert.match((await runCli(['get', 'nodes'], admin)).stdout, /Online,SchedulingDisabled/);
      assert.equal((await runCli(['uncordon', 'node-0'], admin)).code, 0);
      assert.equal((await runCli(['label', 'node', 'node-0', 'zone=lab-1'], admin)).code, 0);
      const d = await runCli(['describe', 'node', 'node-0'], admin);
      assert.match(d.stdout, /^Labels:\s+.*zone=lab-1/m);
      const jt = await runCli(
        ['join-token', 'create', '--expires', '1h', '--max-uses', '1'],
        admin,
      );
      assert.equal(jt.code, 0, jt.stderr);
      assert.match(
        jt.stdout,
        /^utopia-agent --server-url http:\/\/127\.0\.0\.1:\d+ --join-token utj_\S+\n$/,
      );
      const asUser = await runCli(['cordon', 'node-0'], alice);
      assert.equal(asUser.code, 1);
      assert.match(asUser.stderr, /\(FORBIDDEN\)/);
    });

    test('completion scripts are valid shell', async () => {
      const bash = await runCli(['completion', 'bash'], alice);
      assert.equal(bash.code, 0);
      assert.equal(spawnSync('bash', ['-n'], { input: bash.stdout }).status, 0);
      assert.match(bash.stdout, /complete -o default -F _utopia utopia/);
      assert.match((await runCli(['completion', 'fish'], alice)).stdout, /complete -c utopia/);
      assert.match((await runCli(['completion', 'zsh'], alice)).stdout, /^#compdef utopia/);
    });

    test('logout revokes the token login made', async () => {
      const token = /token: (\S+)/.exec(readFileSync(bob.UTOPIA_CONFIG ?? '', 'utf8'))?.[1] ?? '';
      assert.match(token, /^utp_/);
      assert.equal((await runCli(['whoami', '--token', token], bob)).code, 0);
      const r = await runCli(['logout'], bob);
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(readFileSync(bob.UTOPIA_CONFIG ?? '', 'utf8'), /utp_/);
      const who = await runCli(['whoami', '--token', token], bob);
      assert.equal(who.code, 1);
      assert.match(who.stderr, /\(UNAUTHENTICATED\)/);
    });
  });
}

/** spawnFollow is used for commands that run until stopped (logs -f, port-forward). */
function spawnFollow(
  args: string[],
  env: Record<string, string>,
): { stdout(): string; exit: Promise<number | null>; kill(): void } {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exit.then(() => clearTimeout(timer));
  return { stdout: () => out, exit, kill: () => child.kill('SIGINT') };
}
