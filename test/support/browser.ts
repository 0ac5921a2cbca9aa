import { chromium, type Browser, type Page } from 'playwright-core';
import { PASSWORDS } from './web.js';

/** The Debian package's Chromium (never a downloaded browser), as `npm test` found it. */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
}

/** Signs `page` in on the dashboard at `baseUrl` as the operator (otto) or the viewer (vera) of `webUsersConfig`. */
export async function logIn(page: Page, baseUrl: string, user: 'otto' | 'vera'): Promise<Page> {
  await page.goto(`${baseUrl}/runs`);
  await page.fill('input[name=username]', user);
  await page.fill('input[name=password]', user === 'otto' ? PASSWORDS.operator : PASSWORDS.viewer);
  await page.click('#login button[type=submit]');
  await page.waitForURL(/\/runs$/);
  return page;
}
