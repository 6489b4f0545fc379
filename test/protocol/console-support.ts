import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_PASSWORD } from '../support/server.js';

/** Helpers of the console suites: one Chromium for the whole run, pages by accessible names. */

export const CHROMIUM = '/usr/bin/chromium';

let browser: Browser | null = null;

/** One headless Chromium shared by every console suite (launched on first use). */
export async function sharedBrowser(): Promise<Browser> {
  if (!browser) {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
  }
  return browser;
}

export async function closeSharedBrowser(): Promise<void> {
  if (browser) await browser.close();
  browser = null;
}

/** Screenshots go to a temp folder (never the checkout); its path is printed once. */
let shotDir: string | null = null;
export function screenshotDir(): string {
  if (!shotDir) {
    shotDir = process.env.DIRGATE_CONSOLE_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'dirgate-console-shots-'));
    mkdirSync(shotDir, { recursive: true });
    // eslint-disable-next-line no-console
    console.log(`      console screenshots: ${shotDir}`);
  }
  return shotDir;
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotDir(), `${name}.png`), fullPage: true });
}

/** A fresh browser context (its own cookies) with a page that records CSP and script errors. */
export async function newPage(base: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await (await sharedBrowser()).newContext({ baseURL: base, viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // A deliberate 401/403/422 page logs "Failed to load resource"; what matters is script, CSP and asset errors.
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(`console: ${m.text()} at ${m.location().url}`);
  });
  page.on('response', (r) => { if (r.url().includes('/admin/assets/') && r.status() >= 400) errors.push(`asset ${r.url()}: ${r.status()}`); });
  return { context, page, errors };
}

/** Signs in through the form, by its accessible names. */
export async function signIn(page: Page, username = 'admin', password = ADMIN_PASSWORD): Promise<void> {
  await page.goto('/admin');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/admin/login'));
}

/** axe on the current page: no serious or critical violation. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const r = await new AxeBuilder({ page }).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`), `axe on ${what}`).to.deep.equal([]);
}

/** Waits until the live region (role=status) says something matching `re`; returns its text. */
export async function waitForLive(page: Page, re: RegExp, timeout = 10_000): Promise<string> {
  const handle = await page.waitForFunction((src) => {
    const t = (document.getElementById('live')?.textContent ?? '').trim();
    return new RegExp(src[0], src[1]).test(t) ? t : null;
  }, [re.source, re.flags] as const, { timeout }).catch(async () => {
    throw new Error(`live region never matched ${re}: it says ${JSON.stringify(await page.locator('#live').textContent())}`);
  });
  return (await handle.jsonValue()) as string;
}

/** Every visible control of the page takes the focus by Tab alone (nothing reachable only by mouse). */
export async function expectKeyboardReachable(page: Page, what: string): Promise<void> {
  const count = await page.evaluate(() => {
    const sel = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';
    const all = [...document.querySelectorAll<HTMLElement>(sel)].filter((el) => el.offsetParent !== null || el.getClientRects().length > 0);
    all.forEach((el, i) => el.setAttribute('data-kb', String(i)));
    (document.activeElement as HTMLElement | null)?.blur();
    return all.length;
  });
  const seen = new Set<string>();
  for (let i = 0; i < count + 5 && seen.size < count; i++) {
    await page.keyboard.press('Tab');
    const k = await page.evaluate(() => document.activeElement?.getAttribute('data-kb') ?? null);
    if (k !== null) seen.add(k);
  }
  const missed = await page.evaluate((got) => [...document.querySelectorAll<HTMLElement>('[data-kb]')]
    .filter((el) => !got.includes(el.getAttribute('data-kb')!)).map((el) => el.outerHTML.slice(0, 80)), [...seen]);
  expect(missed, `controls not reachable by Tab on ${what}`).to.deep.equal([]);
}
