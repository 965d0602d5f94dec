// Chromium for the browser tests: Debian's package (scripts/test-all.sh installs it), driven
// with playwright-core, which brings no browser of its own.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

/** CHROMIUM is used to find the browser: UTOPIA_CHROMIUM, else Debian's path. */
export const CHROMIUM = process.env.UTOPIA_CHROMIUM ?? '/usr/bin/chromium';

/** launchChromium is used once per test file. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set UTOPIA_CHROMIUM)`);
  // --no-sandbox: the tests run as root in CI, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}

/** Viewport is used for the two widths every page is checked and shot at. */
export const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
} as const;

/** signIn is used to sign in through the sign-in page, at whatever path `url` names. */
export async function signIn(page: Page, url: string, username: string, password: string) {
  await page.goto(url);
  await page.fill('input[name=username]', username);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.getByTestId('me').filter({ hasText: username }).waitFor();
}
