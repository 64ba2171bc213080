/**
 * The vendor's brand in Chromium: the environment's name, accent and support address on the login page, then an
 * admin changes them on /staff/brand (a logo picked as a file, a colour too light refused at its field), and the
 * header, the page title, the accent and the footer follow; markup in the name is shown as text, never run. The
 * sales user has no Brand page. Screenshots at 1280 and 375 px and axe-core on each page.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeCheck, consoleProblems, launchBrowser, openPortal, screenshots } from './support/browser.js';
import type { PortalPage } from './support/browser.js';
import { logInWithLink, staffLoginLink } from './support/staff.js';
import { startTestCenter } from './support/vendor.js';
import type { TestCenter } from './support/vendor.js';

const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="96" height="32" viewBox="0 0 96 32"><rect width="96" height="32" rx="6" fill="#f4b400"/><text x="48" y="22" font-size="16" text-anchor="middle" font-family="sans-serif" fill="#1b2a3a">ACME</text></svg>';

describe('the brand in Chromium', () => {
  let tc: TestCenter;
  let browser: Browser;
  let admin: PortalPage;
  let page: Page;

  const mainPage = async (on: Page, name: string) => {
    expect({ name, serious: await axeCheck(on, name) }).toEqual({ name, serious: [] });
    expect({ name, ...(await screenshots(on, name)) }).toEqual({ name, overflow: 0 });
  };
  const accent = (on: Page) => on.evaluate(() => getComputedStyle(document.documentElement).getPropertyValue('--accent').trim());

  beforeAll(async () => {
    [tc, browser] = await Promise.all([
      startTestCenter(
        'sqlite',
        {
          TESSERA_BRAND_NAME: 'Initrode',
          TESSERA_BRAND_ACCENT: '#7a1f5c',
          TESSERA_SUPPORT_EMAIL: 'help@initrode.example',
        },
        Date.now(),
      ),
      launchBrowser(),
    ]);
    admin = await openPortal(browser, tc.center.url);
    page = admin.page;
  });
  afterAll(async () => {
    await browser?.close();
    await tc?.close();
  });

  it("shows the environment's brand before anyone logs in: header, title, accent, support address", async () => {
    await page.goto('/login');
    await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
    await page.getByRole('link', { name: 'Initrode License Center' }).waitFor();
    await expect.poll(() => page.title()).toBe('Log in · Initrode License Center');
    await expect.poll(() => accent(page)).toBe('#7a1f5c');
    expect(await page.getByRole('contentinfo').innerText()).toContain('Support: help@initrode.example');
    await mainPage(page, 'brand-login');
  });

  it('an admin sets name, logo and colour on the Brand page; a colour too light is refused at its field', async () => {
    await logInWithLink(page, (await staffLoginLink(tc, 'boss@vendor.example', 'admin')).url);
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Brand' }).click();
    await page.getByRole('heading', { name: 'Brand', level: 1 }).waitFor();
    await page.getByText('Empty: Initrode (from the environment).').waitFor();

    await page.getByLabel('Vendor name').fill('Acme <b>Cloud</b>');
    await page.getByLabel('Accent colour (#rrggbb)').fill('#ffee00');
    await page.getByRole('button', { name: 'Save the brand' }).click();
    await expect
      .poll(() => page.getByRole('alert').allInnerTexts())
      .toEqual([expect.stringMatching(/^name must not hold control characters, quotes, backslashes or < >\. accent #ffee00 is too light/)]);
    expect(await page.getByLabel('Vendor name').getAttribute('aria-invalid')).toBe('true');

    const dir = mkdtempSync(join(tmpdir(), 'tessera-logo-'));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'acme.svg'), LOGO_SVG);
    await page.getByLabel('Logo').setInputFiles(join(dir, 'acme.svg'));
    await page.getByRole('img', { name: 'The logo as it is set' }).waitFor();
    await page.getByLabel('Vendor name').fill('Acme Cloud');
    await page.getByLabel('Accent colour (#rrggbb)').fill('#1d4ed8');
    await page.getByLabel('Support address').fill('support@acme.example');
    await page.getByRole('button', { name: 'Save the brand' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved. The portal and the next mails use it now.' }).waitFor();
    await page.getByRole('link', { name: 'Acme Cloud License Center' }).waitFor();
    await expect.poll(() => accent(page)).toBe('#1d4ed8');
    await expect.poll(() => page.title()).toBe('Brand · Acme Cloud License Center');
    expect(await page.getByRole('banner').locator('img.brand-logo').getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(await page.getByRole('contentinfo').innerText()).toContain('Support: support@acme.example');
    await mainPage(page, 'staff-brand');
    expect(consoleProblems(admin.console)).toEqual([]);
  });

  it('shows the brand on every page afterwards, and has no Brand page for sales', async () => {
    const sales = await openPortal(browser, tc.center.url);
    try {
      await logInWithLink(sales.page, (await staffLoginLink(tc, 'seller@vendor.example', 'sales')).url);
      await sales.page.getByRole('link', { name: 'Acme Cloud License Center' }).waitFor();
      expect(await sales.page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Brand' }).count()).toBe(0);
      await sales.page.goto('/staff/brand');
      await sales.page.getByText('Only an admin can change the brand.').waitFor();
    } finally {
      await sales.context.close();
    }
  });
});
