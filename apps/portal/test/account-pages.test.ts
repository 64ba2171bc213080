/**
 * The account pages in Chromium beyond the main story: a forgotten password reset from the mailed link, refusals
 * shown where they happened without losing what was typed, a spent setup link, the session restored on reload,
 * another customer's license answered as absent, keyboard-only login, and a staff member's login link.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeCheck, consoleProblems, launchBrowser, openPortal, screenshots } from './support/browser.js';
import type { PortalPage } from './support/browser.js';
import { mailedLink, productFor, sellAndInvite, startTestCenter } from './support/vendor.js';
import type { TestCenter } from './support/vendor.js';

const EMAIL = 'grace@hopper.example';
const NEW_PASSWORD = 'Cobol-1959-Navy!';

describe('account pages in Chromium', () => {
  let tc: TestCenter;
  let browser: Browser;
  let portal: PortalPage;
  let page: Page;
  let ownLicense: string;
  let otherLicense: string;

  const mainPage = async (name: string) => {
    expect({ name, serious: await axeCheck(page, name) }).toEqual({ name, serious: [] });
    expect({ name, ...(await screenshots(page, name)) }).toEqual({ name, overflow: 0 });
  };

  beforeAll(async () => {
    [tc, browser] = await Promise.all([startTestCenter('sqlite', {}, Date.now()), launchBrowser()]);
    const admin = (await tc.staff('admin@vendor.example', 'admin')).client;
    const productId = await productFor(admin, 'guard', 'Guard');
    const own = await sellAndInvite(tc, admin, productId, 'Hopper Labs', 'invite@hopper.example', { query: 1, storage: 1 });
    ownLicense = own.licenseId;
    await tc.customer(EMAIL, own.customerId);
    otherLicense = (await sellAndInvite(tc, admin, productId, 'Someone Else', 'else@else.example')).licenseId;
    portal = await openPortal(browser, tc.center.url);
    page = portal.page;
  });
  afterAll(async () => {
    await browser?.close();
    await tc?.close();
  });

  it('resets a forgotten password from the mailed link: the rule, the server’s refusal at the field, nothing typed lost', async () => {
    await page.goto('/login');
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset your password' }).waitFor();
    await page.getByLabel('Email').fill(EMAIL);
    await mainPage('forgot');
    await page.getByRole('button', { name: 'Mail me a reset link' }).click();
    await page.getByRole('status').filter({ hasText: 'If an account has this email, a reset link is on its way.' }).waitFor();

    await page.goto('/reset');
    await page.getByRole('alert').filter({ hasText: 'This page needs the whole reset link from the mail' }).waitFor();

    await page.goto(await mailedLink(tc, EMAIL, 'reset'));
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    expect(page.url()).toBe(`${tc.center.url}/reset`);
    const password = page.getByLabel('New password', { exact: true });
    const repeat = page.getByLabel('Repeat the new password');
    await password.fill('alllettersandlong');
    await repeat.fill('alllettersandlong');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('The password has no digit and no special character').waitFor();
    expect(await password.inputValue()).toBe('alllettersandlong');
    expect(await password.getAttribute('aria-invalid')).toBe('true');
    await mainPage('reset');

    await password.fill(NEW_PASSWORD);
    await repeat.fill(NEW_PASSWORD + 'x');
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('The two passwords differ').waitFor();
    expect(await password.inputValue()).toBe(NEW_PASSWORD);

    await repeat.fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Set the new password' }).click();
    await page.getByText('The password is changed; log in with it.').waitFor();
    expect(page.url()).toBe(`${tc.center.url}/login`);
  });

  it('logs in with the keyboard alone, in a sensible focus order', async () => {
    await page.locator('body').click({ position: { x: 1, y: 400 } });
    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      order.push(
        await page.evaluate(() => {
          const element = document.activeElement as HTMLElement | null;
          const label = element?.id ? document.querySelector(`label[for="${element.id}"]`)?.textContent : null;
          return `${element?.tagName.toLowerCase()}:${label ?? element?.textContent?.trim()}`;
        }),
      );
    }
    expect(order).toEqual([
      'a:Skip to content',
      'a:Tessera License Center',
      'input:Email',
      'input:Password',
      'button:Log in',
      'a:Forgot your password?',
    ]);
    await page.getByLabel('Email').focus();
    await page.keyboard.type(EMAIL);
    await page.keyboard.press('Tab');
    await page.keyboard.type(NEW_PASSWORD);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
    // The cards arrive after the heading: wait for the one license, then make sure it is the only one.
    await page.getByRole('article', { name: 'Guard' }).waitFor();
    expect(await page.getByRole('article').count()).toBe(1);
  });

  it('keeps the session over a reload and answers another customer’s license as absent, in the API’s words', async () => {
    await page.reload();
    await page.getByRole('article', { name: 'Guard' }).waitFor();
    await page.goto(`/licenses/${otherLicense}`);
    await page
      .getByRole('alert')
      .filter({ hasText: `There is no license ${otherLicense}.` })
      .waitFor();
    await page.goto(`/licenses/${ownLicense}/bind`);
    await page.getByRole('heading', { name: 'Step 1 of 5: Check the license' }).waitFor();
    await page.goto('/no/such/page');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.goto('/staff');
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await mainPage('not-found');
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
  });

  it('says so when a setup link was used already, keeping what was typed', async () => {
    const { catalogue, accounts } = tc.center.services;
    const company = await catalogue.createCustomer({ name: 'Late Company' }, 'test');
    if (!company.ok) throw new Error(company.detail);
    expect((await accounts.inviteCustomer(company.value.id, 'late@hopper.example', 'test')).ok).toBe(true);
    const link = await mailedLink(tc, 'late@hopper.example', 'setup');
    const register = async () => {
      await page.goto(link);
      await page.getByLabel('Your name').fill('Late Comer');
      await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
      await page.getByLabel('Repeat the password').fill(NEW_PASSWORD);
      await page.getByRole('button', { name: 'Create account' }).click();
    };
    await register();
    await page.getByText('Check your mail for the activation link.').waitFor();
    await register();
    await page.getByRole('alert').filter({ hasText: 'This setup link was used already; ask for a new one.' }).waitFor();
    expect(await page.getByLabel('Your name').inputValue()).toBe('Late Comer');

    await page.goto('/activate');
    await page.getByRole('alert').filter({ hasText: 'This page needs the whole activation link' }).waitFor();
  });

  it('logs a staff member in with a login link and opens the staff section, not the customer pages', async () => {
    const created = await tc.center.services.accounts.createStaff('ops@vendor.example', 'support', 'test');
    if (!created.ok) throw new Error(created.detail);
    // The link as `tessera-center staff create` prints it, on the running center.
    const link = `${tc.center.url}/login-link${new URL(created.value.loginLink).hash}`;
    await page.goto(link);
    await page.getByRole('heading', { name: 'Staff', level: 1 }).waitFor();
    expect(page.url()).toBe(`${tc.center.url}/staff`);
    expect(await page.getByRole('main').innerText()).toContain('ops@vendor.example (support)');
    await page.goto('/');
    await page.getByRole('heading', { name: 'Staff', level: 1 }).waitFor();
    expect(page.url()).toBe(`${tc.center.url}/staff`);
    await mainPage('staff');

    await page.goto(link);
    await page.getByRole('alert').filter({ hasText: 'This login link was used already; ask for a new one.' }).waitFor();
  });

  it('threw nothing and broke no content policy', () => {
    expect(consoleProblems(portal.console)).toEqual([]);
  });
});
