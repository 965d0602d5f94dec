// The newcomer's path, exactly as the README's first command sets it up: `npm start`'s launcher
// (scripts/start-local.mjs: the built server, a local agent with simulated GPUs, real Docker),
// the URL and admin password it prints, then in a browser: sign in, create a claim, see it
// Running, read its logs. Needs the build (scripts/test-all.sh builds first) and DOCKER_HOST.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { findFreePort } from '@utopia/frp';
import { TEST_IMAGE, waitFor } from '@utopia/server/testing';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, signIn } from './browser.js';

const LAUNCHER = fileURLToPath(new URL('../../../scripts/start-local.mjs', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'utopia-first-minutes-'));
let launcher: ChildProcess | undefined;
let browser: Browser | undefined;
let output = '';
let page: Page | undefined;
let logs = ''; // the server's and agent's log lines (stdout)

before(async () => {
  const port = await findFreePort();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    UTOPIA_PORT: String(port),
    UTOPIA_HOST: '127.0.0.1',
    UTOPIA_DATA_DIR: dataDir,
    UTOPIA_LOCAL_GPUS: '2',
    UTOPIA_LOG_LEVEL: process.env.FFM_LOG ?? 'warn',
  };
  delete env.UTOPIA_ADMIN_PASSWORD; // the generated one, printed once, as a newcomer gets it
  launcher = spawn(process.execPath, [LAUNCHER], { stdio: ['ignore', 'pipe', 'pipe'], env });
  launcher.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  launcher.stdout?.on('data', (chunk: Buffer) => (logs += chunk.toString()));
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  if (launcher && launcher.exitCode === null) {
    const exited = new Promise((r) => launcher?.once('exit', r));
    launcher.kill('SIGTERM');
    await exited;
  }
  rmSync(dataDir, { recursive: true, force: true });
});

test('first five minutes: sign in, create a claim, see it Running, open its logs', async () => {
  try {
    await firstFiveMinutes();
  } catch (e) {
    // What the server and agent said is the first thing to read when this fails in CI.
    const shown = await page
      ?.locator('body')
      .innerText()
      .catch(() => '(no page)');
    console.error(`the page showed:\n${shown}`);
    console.error(`launcher output:\n${output}\nlogs:\n${logs.split('\n').slice(-300).join('\n')}`);
    throw e;
  }
});

async function firstFiveMinutes(): Promise<void> {
  // 1. The launcher prints the UI's URL and the admin's password.
  const [url, password] = await waitFor(
    'the URL and the admin password on stderr',
    async () => {
      const u = /web UI: (http:\/\/\S+?)\/? /.exec(output)?.[1];
      const p = /created user 'admin' with password: (\S+)/.exec(output)?.[1];
      return u && p ? [u, p] : undefined;
    },
    60_000,
  );
  assert.ok(browser);
  page = await (await browser.newContext()).newPage();
  page.setDefaultTimeout(60_000);

  // 2. Sign in; the local node shows up with its GPUs.
  await signIn(page, `${url}/`, 'admin', password);
  await page.locator('.node-block .gpu').nth(1).waitFor();

  // 3. Create a claim from the form and follow it to Running on its page.
  await page.click('nav a:has-text("Claims")');
  await page.click('a:has-text("New claim")');
  await page.fill('#f-name', 'hello');
  await page.fill('#f-image', TEST_IMAGE);
  await page.fill('#f-command', 'sh\n-c\necho hello from my first claim; sleep 600');
  await page.click('button[type=submit]');
  await page.locator('h1 [data-phase=Running]').waitFor();

  // 4. Its logs.
  await page.getByTestId('logs').filter({ hasText: 'hello from my first claim' }).waitFor();
  assert.match(output, /web UI: http:\/\/127\.0\.0\.1:\d+\//);

  // 5. Delete it, so its container goes too.
  await page.click('button:has-text("Delete")');
  await page.click('button:has-text("Yes, do it")');
  await page.getByText('This claim was deleted.').waitFor();
}
