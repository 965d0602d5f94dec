// The web UI in a real browser against a real server, a real agent and real Docker: the first
// five minutes of a newcomer (sign in, create a claim, see it Running, read its logs), the API's
// own validation message beside the field, a shell in the terminal, recent events on the
// overview and a node's page, a claim port opened through the HTTP proxy, delete, the admin's
// users and join tokens, what a plain user sees, and an API error shown when the server stops.
// It also writes the screenshots under docs/screenshots/ (every page, desktop and phone width,
// light and dark).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import {
  ADMIN_PASSWORD,
  createClaimAs,
  sleeperClaim,
  startCluster,
  TEST_IMAGE,
  waitFor,
  type TestCluster,
} from '@utopia/server/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, signIn as signInAt, VIEWPORTS } from './browser.js';

const DIST = fileURLToPath(new URL('../dist/index.html', import.meta.url));
const SHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const TIMEOUT = 30_000;

describe('web UI in a browser', () => {
  let c: TestCluster;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let claimPath = '';

  before(async () => {
    assert.ok(existsSync(DIST), 'the web UI is built (npm run build)');
    // The HTTP proxy on a listener of its own, for the claim ports' "Open" links.
    c = await startCluster('sqlite', [4], { UTOPIA_PROXY_LISTEN: '127.0.0.1:0' });
    const admin = await c.t.adminToken();
    await waitFor('the node Online', async () => {
      const items = (await c.t.api('GET', '/api/nodes', { token: admin })).json.items;
      return (
        Array.isArray(items) && items.length === 1 && items.every((n) => n.status === 'Online')
      );
    });
    browser = await launchChromium();
    context = await browser.newContext({ viewport: VIEWPORTS.desktop, locale: 'en-US' });
    context.setDefaultTimeout(TIMEOUT);
    page = await context.newPage();
  });
  after(async () => {
    await browser?.close();
    await c?.close();
  });

  const signIn = (username: string, password: string) =>
    signInAt(page, `${c.t.url}/`, username, password);

  test('1. sign in as the admin and see the cluster', async () => {
    await signIn('admin', ADMIN_PASSWORD);
    await page.locator('.node-block .gpu').first().waitFor();
    assert.equal(await page.locator('.node-block .gpu').count(), 4, 'one cell per GPU');
  });

  test("2. a wrong field in the create form shows the API's own message beside it", async () => {
    const body = { spec: { image: 'Not An Image!', resources: { gpuCount: 1 } } };
    const api = await c.t.api('POST', '/api/gpu-claims', { token: await c.t.adminToken(), body });
    assert.equal(api.status, 400);
    const details = api.json.details as { field: string; message: string }[];
    const expected = details.find((d) => d.field === 'spec.image')?.message;
    assert.ok(expected, JSON.stringify(api.json));

    await page.click('a:has-text("Claims")');
    await page.click('a:has-text("New claim")');
    await page.fill('#f-image', 'Not An Image!');
    await page.click('button[type=submit]');
    const shown = page.locator('[data-field-error="f-image"]');
    await shown.waitFor();
    assert.equal(await shown.textContent(), expected);
  });

  test('3. a valid claim reaches Running without a reload, with events and logs', async () => {
    await page.fill('#f-name', 'first-claim');
    await page.fill('#f-image', TEST_IMAGE);
    await page.fill('#f-command', 'sh\n-c\necho hello-from-the-claim; sleep 3600');
    // The YAML tab shows the same request; back to the form keeps it.
    await page.click('[role=tab]:has-text("YAML")');
    const yaml = await page.inputValue('textarea[name=spec-text]');
    assert.match(yaml, /image: utopia-test\/busybox:latest/);
    await page.click('[role=tab]:has-text("Form")');
    assert.equal(await page.inputValue('#f-name'), 'first-claim');
    await page.click('button[type=submit]');
    // The form itself is at /claims/new, so wait for a claim's id in its place.
    await page.waitForURL(/\/claims\/(?!new$)[A-Za-z0-9_-]+$/);
    claimPath = new URL(page.url()).pathname;
    let reloaded = false;
    page.once('load', () => (reloaded = true));
    await page.locator('h1 [data-phase=Running]').waitFor();
    assert.equal(reloaded, false, 'Running arrived through the watch stream');
    await page.getByTestId('events').locator('li').first().waitFor();
    await page.getByTestId('logs').filter({ hasText: 'hello-from-the-claim' }).waitFor();

    // The terminal: a shell in the container over the exec WebSocket (token as a subprotocol).
    await page.click('button:has-text("Open a shell")');
    await page.getByText('Connected').waitFor();
    await page.keyboard.type('echo term-$((6*7))\n');
    await page.getByTestId('terminal').filter({ hasText: 'term-42' }).waitFor();
    await page.locator('.node-block, dl.facts').first().waitFor();
  });

  test('3a. the overview and the node page show recent events', async () => {
    await page.click('nav a:has-text("Overview")');
    const recent = page.getByTestId('recent-events');
    // The claim's events name it and link to it; the node's own are there too.
    await recent.locator('li', { hasText: 'first-claim' }).first().waitFor();
    await recent.locator('li', { hasText: 'Online' }).first().waitFor();
    await recent.locator('a:has-text("first-claim")').first().click();
    assert.equal(new URL(page.url()).pathname, claimPath);
    await page.click('nav a:has-text("Overview")');
    await recent.locator('a:has-text("node-0")').first().click();
    await page.locator('dl.facts').waitFor();
    // A node's page: that node's events only (Registered, Online), not its claims'.
    await page.getByTestId('recent-events').locator('li', { hasText: 'Registered' }).waitFor();
    assert.equal(
      await page.getByTestId('recent-events').locator('li', { hasText: 'first-claim' }).count(),
      0,
    );
  });

  test("3b. a claim's HTTP port opens through the proxy in a new tab", async () => {
    // busybox httpd serves the page under the proxy's path for this claim port.
    const serve = [
      'd=/www/proxy/claims/$UTOPIA_CLAIM_ID/8080',
      'mkdir -p $d',
      'echo "<h1>served-by-the-claim</h1>" > $d/index.html',
      'exec busybox httpd -f -p 8080 -h /www',
    ].join('; ');
    const claim = await createClaimAs(c.t, await c.t.adminToken(), {
      name: 'web-claim',
      spec: {
        image: TEST_IMAGE,
        resources: { gpuCount: 1 },
        ports: [{ containerPort: 8080 }],
        command: ['sh', '-c', serve],
      },
    });
    await page.goto(`${c.t.url}/claims/${claim.id}`);
    await page.locator('h1 [data-phase=Running]').waitFor();
    const [tab] = await Promise.all([
      context.waitForEvent('page'),
      page.click('button[aria-label="Open port 8080"]'),
    ]);
    await tab.getByText('served-by-the-claim').waitFor();
    assert.notEqual(new URL(tab.url()).origin, new URL(c.t.url).origin, "the proxy's own origin");
    assert.equal(new URL(tab.url()).pathname, `/proxy/claims/${claim.id}/8080/`);
    assert.equal(await tab.evaluate(() => window.opener), null, 'the tab cannot reach back');
    await tab.close();

    // A popup blocker (window.open answering null): the link is shown to click instead.
    await page.evaluate(() => {
      window.open = () => null;
    });
    await page.click('button[aria-label="Open port 8080"]');
    const [linked] = await Promise.all([
      context.waitForEvent('page'),
      page.getByTestId('proxy-link').locator('a').click(),
    ]);
    await linked.getByText('served-by-the-claim').waitFor();
    await linked.close();
  });

  test('4. as admin create a user and a join token (shown once as the agent command)', async () => {
    await page.click('nav a:has-text("Users")');
    await page.fill('input[name=new-username]', 'bob');
    await page.fill('input[name=new-password]', 'bob-password-1');
    await page.click('form[aria-label="New user"] button[type=submit]');
    await page.locator('tr[data-user=bob]').waitFor();
    // A GPU quota set in the table is the user's at the API.
    await page.fill('input[aria-label="GPU quota bob"]', '3');
    await page.press('input[aria-label="GPU quota bob"]', 'Enter');
    await waitFor('bob has a quota of 3', async () => {
      const users = await c.t.api('GET', '/api/users', { token: await c.t.adminToken() });
      const items = users.json.items as { username: string; gpuQuota: number | null }[];
      return items.find((u) => u.username === 'bob')?.gpuQuota === 3;
    });

    await page.click('nav a:has-text("Join tokens")');
    await page.fill('input[name=description]', 'rack 2');
    await page.click('form button[type=submit]');
    const secret = await page.getByTestId('secret').textContent();
    assert.match(
      secret ?? '',
      new RegExp(`^utopia-agent --server-url ${c.t.url} --join-token utj_\\S+$`),
    );
    await page.locator('td:has-text("rack 2")').waitFor();
  });

  test('5. screenshots of every page, desktop and phone, light and dark', async () => {
    mkdirSync(SHOTS, { recursive: true });
    const nodeId = await page.evaluate(async () => {
      const res = await fetch('/api/nodes', {
        headers: {
          authorization: `Bearer ${JSON.parse(localStorage.getItem('utopia.session') ?? '{}').token}`,
        },
      });
      return ((await res.json()) as { items: { id: string }[] }).items[0]?.id ?? '';
    });
    const pages: [string, string][] = [
      ['overview', '/'],
      ['claims', '/claims'],
      ['new-claim', '/claims/new'],
      ['claim', claimPath],
      ['nodes', '/nodes'],
      ['node', `/nodes/${nodeId}`],
      ['users', '/users'],
      ['join-tokens', '/join-tokens'],
      ['api-tokens', '/tokens'],
    ];
    for (const theme of ['light', 'dark'] as const) {
      await page.evaluate((t) => localStorage.setItem('utopia.theme', t), theme);
      for (const [size, viewport] of Object.entries(VIEWPORTS)) {
        await page.setViewportSize(viewport);
        for (const [name, path] of pages) {
          await page.goto(`${c.t.url}${path}`);
          await page.locator('main h1').first().waitFor();
          await page.locator('[role=status]:has-text("Loading")').waitFor({ state: 'detached' });
          await page.screenshot({ path: `${SHOTS}${name}-${size}-${theme}.png` });
        }
      }
    }
    // And one in Simplified Chinese.
    await page.evaluate(() => localStorage.setItem('utopia.language', 'zh'));
    await page.setViewportSize(VIEWPORTS.desktop);
    await page.goto(`${c.t.url}/`);
    await page.locator('main h1:has-text("概览")').waitFor();
    await page.screenshot({ path: `${SHOTS}overview-desktop-dark-zh.png` });
    await page.evaluate(() => localStorage.setItem('utopia.language', 'en'));
  });

  test('6. delete the claim from its page', async () => {
    await page.goto(`${c.t.url}${claimPath}`);
    await page.click('button:has-text("Delete")');
    await page.click('button:has-text("Yes, do it")');
    await page.locator('h1 [data-phase=Terminating]').waitFor();
    await page.getByText('This claim was deleted.').waitFor();
  });

  test('7. a user sees only their own claims and no admin actions', async () => {
    const admin = await c.t.adminToken();
    await createClaimAs(c.t, admin, { name: 'admins-claim', ...sleeperClaim(1) });
    const bob = await c.t.login('bob', 'bob-password-1');
    await createClaimAs(c.t, bob, { name: 'bobs-claim', ...sleeperClaim(1) });

    await page.click('button:has-text("Sign out")');
    await page.locator('input[name=username]').waitFor();
    for (const theme of ['light', 'dark'] as const) {
      await page.evaluate((t) => localStorage.setItem('utopia.theme', t), theme);
      for (const [size, viewport] of Object.entries(VIEWPORTS)) {
        await page.setViewportSize(viewport);
        await page.reload();
        await page.locator('input[name=username]').waitFor();
        await page.screenshot({ path: `${SHOTS}sign-in-${size}-${theme}.png` });
      }
    }
    await page.evaluate(() => localStorage.setItem('utopia.theme', 'light'));
    await page.setViewportSize(VIEWPORTS.desktop);
    await signIn('bob', 'bob-password-1');
    await page.click('nav a:has-text("Claims")');
    await page.locator('tr[data-claim=bobs-claim]').waitFor();
    assert.equal(await page.locator('tr[data-claim=admins-claim]').count(), 0);
    assert.equal(await page.locator('nav a:has-text("Users")').count(), 0);
    assert.equal(await page.locator('nav a:has-text("Join tokens")').count(), 0);
    await page.click('nav a:has-text("Nodes")');
    await page.click('td a');
    await page.locator('dl.facts').waitFor();
    assert.equal(await page.getByTestId('node-admin').count(), 0, 'no cordon, drain or delete');
    await page.goto(`${c.t.url}/users`);
    await page.getByText('This page is for admins.').waitFor();
  });

  test('8. an ended session asks to sign in again, then carries on where the user was', async () => {
    await page.goto(`${c.t.url}/tokens`);
    await page.locator('main h1:has-text("API tokens")').waitFor();
    // An admin's password change ends every login session of bob's at once.
    const users = await c.t.api('GET', '/api/users', { token: await c.t.adminToken() });
    const bob = (users.json.items as { id: string; username: string }[]).find(
      (u) => u.username === 'bob',
    );
    assert.ok(bob);
    const patched = await c.t.api('PATCH', `/api/users/${bob.id}`, {
      token: await c.t.adminToken(),
      body: { password: 'bob-password-2' },
    });
    assert.equal(patched.status, 200);
    await page.click('nav a:has-text("Claims")');
    await page.click('nav a:has-text("API tokens")');
    await page.locator('input[name=username]').waitFor();
    assert.equal(new URL(page.url()).pathname, '/tokens');
    await page.fill('input[name=username]', 'bob');
    await page.fill('input[name=password]', 'bob-password-2');
    await page.click('button[type=submit]');
    await page.locator('main h1:has-text("API tokens")').waitFor();
    assert.equal(new URL(page.url()).pathname, '/tokens');

    // An API token made on this page signs in too, pasted on the sign-in page's other tab.
    await page.fill('input[name=token-name]', 'laptop');
    await page.click('form button[type=submit]');
    const token = (await page.getByTestId('secret').textContent()) ?? '';
    assert.match(token, /^utp_/);
    await page.click('button:has-text("Sign out")');
    await page.click('[role=tab]:has-text("API token")');
    await page.fill('input[name=token]', token);
    await page.click('button[type=submit]');
    await page.getByTestId('me').filter({ hasText: 'bob' }).waitFor();
  });

  test('8a. a node whose agent cannot reach Docker shows a banner that says how to fix it', async () => {
    const broken = await c.addNode('no-docker', 1, { dockerSocket: '/nonexistent/docker.sock' });
    const banner = page.getByTestId('docker-down');
    await banner.filter({ hasText: 'Docker is unreachable on node no-docker.' }).waitFor();
    const text = (await banner.textContent()) ?? '';
    assert.match(text, /sudo systemctl start docker/);
    assert.match(text, /DOCKER_HOST/);
    assert.match(text, /nonexistent\/docker\.sock/);
    // Once the node is gone (or Docker answers), so is the banner.
    const admin = await c.t.adminToken();
    const nodes = await c.t.api('GET', '/api/nodes', { token: admin });
    const id = (nodes.json.items as { id: string; hostname: string }[]).find(
      (n) => n.hostname === 'no-docker',
    )?.id;
    await broken.stop();
    assert.equal((await c.t.api('DELETE', `/api/nodes/${id}`, { token: admin })).status, 204);
    await banner.waitFor({ state: 'detached' });
  });

  test('9. the server stopping is shown, not swallowed', async () => {
    await page.goto(`${c.t.url}/claims`);
    await page.locator('tr[data-claim=bobs-claim]').waitFor();
    await c.t.server.close();
    await page.locator('.banner [role=alert]').waitFor();
    assert.match(
      (await page.locator('.banner [role=alert]').textContent()) ?? '',
      /server cannot be reached/i,
    );
  });
});
