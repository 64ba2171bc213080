/**
 * What the portal's browser tests share: Debian's Chromium (found or installed by scripts/browser-global-setup.ts)
 * driven by playwright-core, a page that records what reaches the console, screenshots at desktop and phone width
 * into test-artifacts/portal/, and an axe-core check that fails on serious or critical violations.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { inject } from 'vitest';

export const ARTIFACTS = fileURLToPath(new URL('../../../../test-artifacts/portal/', import.meta.url));
export const DESKTOP = { width: 1280, height: 860 };
export const PHONE = { width: 375, height: 780 };

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: inject('chromiumPath'),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface PortalPage {
  context: BrowserContext;
  page: Page;
  /** Every console message and page error, in order ("error: …"). */
  console: string[];
}

/** A fresh browser profile (no cookies) on the center at baseURL, allowed to use the clipboard. */
export async function openPortal(browser: Browser, baseURL: string): Promise<PortalPage> {
  const context = await browser.newContext({ baseURL, viewport: DESKTOP, locale: 'en-US' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  const page = await context.newPage();
  // Well inside the tests' own 30 s, so a missing element fails with Playwright's message rather than a bare timeout.
  page.setDefaultTimeout(10_000);
  const console: string[] = [];
  page.on('console', (message) => console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => console.push(`pageerror: ${error.message}`));
  return { context, page, console };
}

/**
 * What the console shows besides the browser's own line for an expected 4xx answer (a 401 from /v1/auth/me
 * before login, an API refusal the page shows): script errors and content-policy violations.
 */
export function consoleProblems(lines: string[]): string[] {
  return lines.filter(
    (line) => /^(error|warning|pageerror)/.test(line) && !/Failed to load resource: the server responded with a status of 4\d\d/.test(line),
  );
}

/**
 * Saves `<name>-desktop.png` and `<name>-375.png` (full page). Screenshots at 1280 and 375 px; `overflow` is how many pixels the page is wider than a phone's 375, plus how far
 * any table is wider than its box at 1280 px. 0 is the goal for both.
 */
export async function screenshots(page: Page, name: string): Promise<{ overflow: number }> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const viewport = page.viewportSize() ?? DESKTOP;
  await page.setViewportSize(DESKTOP);
  await page.screenshot({ path: join(ARTIFACTS, `${name}-desktop.png`), fullPage: true });
  // Every table fits at 1280 px: none needs its sideways scroll there (on a phone it may, in its own box).
  const tables = await page.evaluate(() =>
    Math.max(0, ...[...document.querySelectorAll('.table-wrap')].map((wrap) => wrap.scrollWidth - wrap.clientWidth)),
  );
  await page.setViewportSize(PHONE);
  const overflow = (await page.evaluate(() => document.documentElement.scrollWidth)) - PHONE.width;
  await page.screenshot({ path: join(ARTIFACTS, `${name}-375.png`), fullPage: true });
  await page.setViewportSize(viewport);
  return { overflow: overflow + tables };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * Runs axe-core on the page as it is now and answers its serious and critical violations (every violation is
 * written to test-artifacts/portal/axe-<name>.json). axe goes in through the DevTools protocol, which the page's
 * content policy (no inline scripts) does not apply to.
 */
export async function axeCheck(page: Page, name: string): Promise<AxeViolation[]> {
  const defined = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  if (!defined) await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: any[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id as string,
      impact: (v.impact ?? null) as string | null,
      help: v.help as string,
      targets: (v.nodes as { target: string[] }[]).map((n) => n.target.join(' ')),
    }));
  });
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(join(ARTIFACTS, `axe-${name}.json`), JSON.stringify(violations, null, 2));
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
