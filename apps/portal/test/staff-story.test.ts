/**
 * The staff story, end to end in Chromium against a real License Center with the built portal: an admin logs in
 * from a one-time login link → creates a customer → invites its user (a bad address refused in the API's words,
 * the text kept) → sells a contract with a feature and a limit (its license appears) → renews and expands it → changes
 * its features and limits (the history says what changed) → sets its outage grace → pastes a License Manager's
 * request code, sees the verified LMID and quantities, adjusts one, issues → the offline key verifies with core.
 * Each main page is screenshotted at desktop and 375 px and checked with axe-core.
 */
import { checkLicenseKey } from '@tessera/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../packages/center/test/support/http.js';
import { axeCheck, consoleProblems, launchBrowser, openPortal, screenshots } from './support/browser.js';
import type { PortalPage } from './support/browser.js';
import { logInWithLink, requestCodeOf, staffLoginLink } from './support/staff.js';
import { productFor, startTestCenter, trustBundleOf } from './support/vendor.js';
import type { TestCenter } from './support/vendor.js';

const YEAR_DAYS = /in 36[4-6] days/;

describe('the staff story in Chromium', () => {
  let tc: TestCenter;
  let browser: Browser;
  let portal: PortalPage;
  let page: Page;
  let api: Client;
  let customerId: string;
  let licenseId: string;
  const request = requestCodeOf({ query: 4, storage: 2 });

  const mainPage = async (name: string) => {
    expect({ name, serious: await axeCheck(page, name) }).toEqual({ name, serious: [] });
    expect({ name, ...(await screenshots(page, name)) }).toEqual({ name, overflow: 0 });
  };

  beforeAll(async () => {
    [tc, browser] = await Promise.all([startTestCenter('sqlite', {}, Date.now()), launchBrowser()]);
    api = (await tc.staff('automation@vendor.example', 'admin')).client;
    await productFor(api, 'graphdb', 'GraphDB Enterprise');
    portal = await openPortal(browser, tc.center.url);
    page = portal.page;
  });
  afterAll(async () => {
    await browser?.close();
    await tc?.close();
  });

  it('logs an admin in from a one-time login link to the staff home, which lists the open renewal requests', async () => {
    const { url } = await staffLoginLink(tc, 'boss@vendor.example', 'admin');
    await logInWithLink(page, url);
    const staffNav = page.getByRole('navigation', { name: 'Staff' });
    expect(await staffNav.getByRole('link').allInnerTexts()).toEqual([
      'Home',
      'Customers',
      'Contracts',
      'Request code → key',
      'Products',
      'Packages',
      'Clones',
      'Audit log',
      'Signing keys',
      'Staff users',
      'Brand',
    ]);
    await page.getByText('No customer is waiting for a renewal.').waitFor();
    await mainPage('staff-home');
  });

  it('creates a customer and invites its user: a bad address is refused in the API’s words and stays typed', async () => {
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Customers' }).click();
    await page.getByRole('heading', { name: 'Customers', level: 1 }).waitFor();
    await page.getByText('No customers yet.').waitFor();
    await page.getByRole('form', { name: 'New customer' }).getByLabel('Company name').fill('Globex Corporation');
    await mainPage('staff-customers');
    await page.getByRole('button', { name: 'Create customer' }).click();
    await page.getByRole('heading', { name: 'Globex Corporation', level: 1 }).waitFor();
    customerId = /\/staff\/customers\/(cus_\w+)$/.exec(page.url())![1]!;
    await page.getByText('The customer Globex Corporation is created.').waitFor();

    const email = page.getByLabel('Invite a user by email');
    await email.fill('hank@');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByRole('alert').filter({ hasText: 'The email must be an address like name@example.com.' }).waitFor();
    expect(await email.inputValue()).toBe('hank@');
    expect(await email.getAttribute('aria-invalid')).toBe('true');
    await email.fill('hank@globex.example');
    await page.getByRole('button', { name: 'Invite' }).click();
    await page.getByRole('status').filter({ hasText: 'A setup link is on its way to hank@globex.example.' }).waitFor();
    expect(await tc.linkIn('hank@globex.example', 'setup')).toMatch(/^[A-Za-z0-9_-]+$/);

    // The search finds it by part of its name, in any letter case.
    await page.getByRole('link', { name: 'All customers' }).click();
    await page.getByLabel('Find customers by name').fill('GLOBEX');
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .getByRole('list', { name: 'Customers whose name contains "GLOBEX"' })
      .getByRole('link', { name: 'Globex Corporation' })
      .click();
    await page.getByRole('heading', { name: 'Globex Corporation', level: 1 }).waitFor();
    await mainPage('staff-customer');
  });

  it('sells a contract from the customer page: a sale of nothing is refused with the counts kept; then its license opens', async () => {
    await page.getByRole('link', { name: 'New sales contract' }).click();
    await page.getByRole('heading', { name: 'New sales contract', level: 1 }).waitFor();
    await expect.poll(() => page.getByLabel('Customer').inputValue()).toBe(customerId);
    await page.getByLabel('Product').selectOption({ label: 'GraphDB Enterprise (graphdb: query, storage)' });
    await page.getByLabel('query nodes').fill('0');
    await page.getByRole('button', { name: 'Create contract and license' }).click();
    await page.getByRole('alert').filter({ hasText: 'quantities must sell at least one node of some role.' }).waitFor();
    expect(await page.getByLabel('query nodes').inputValue()).toBe('0');

    await page.getByLabel('query nodes').fill('2');
    await page.getByLabel('storage nodes').fill('1');
    await page.getByRole('radio', { name: '1 year' }).check();
    // The product's features and limits are sold with it: a limit that is not a whole number is refused at its field.
    await page.getByRole('checkbox', { name: 'backup' }).check();
    await page.getByLabel('shards limit').fill('four');
    await page.getByRole('button', { name: 'Create contract and license' }).click();
    await page
      .getByRole('alert')
      .filter({ hasText: 'The shards limit must be a whole number from 0 to 1000000, or blank to grant none; it is "four".' })
      .waitFor();
    await page.getByLabel('shards limit').fill('4');
    await mainPage('staff-contract-new');
    await page.getByRole('button', { name: 'Create contract and license' }).click();
    await page.getByRole('heading', { name: 'GraphDB Enterprise license', level: 1 }).waitFor();
    licenseId = /\/staff\/licenses\/(lic_\w+)$/.exec(page.url())![1]!;
    await page.getByText(/The contract ctr_\w+ is created, with this license\./).waitFor();
    const basic = await page.getByRole('region', { name: 'Basic Info' }).innerText();
    expect(basic).toMatch(/LMID\s+not bound/);
    expect(basic).toMatch(YEAR_DAYS);
    const resources = await page.getByRole('region', { name: 'Purchased Resources' }).innerText();
    expect(resources).toMatch(/Nodes\s+query 2 · storage 1\s+shards limit\s+4\s+Features\s+backup\n/);

    // The customer page lists it as a license card, and the contract as the customer's.
    const customer = await api.get(`/v1/staff/customers/${customerId}`);
    expect(customer.body).toMatchObject({ licenseCount: 1, contracts: { items: [{ licenseIds: [licenseId], term: '1y' }] } });
  });

  it('renews by a month and expands by a query node; the page says what changed and the API agrees', async () => {
    const before = (await api.get(`/v1/staff/licenses/${licenseId}`)).body;
    const actions = page.getByRole('region', { name: 'Actions' });
    // By keyboard alone: open RENEW, move to the choice, pick 1 month with the arrows, submit.
    await actions.getByRole('button', { name: 'Renew' }).focus();
    await page.keyboard.press('Enter');
    await actions.getByRole('radio', { name: '1 year' }).waitFor();
    await page.keyboard.press('Tab');
    expect(await actions.getByRole('radio', { name: '1 year' }).evaluate((radio) => radio === document.activeElement)).toBe(true);
    await page.keyboard.press('ArrowLeft');
    expect(await actions.getByRole('radio', { name: '1 month' }).isChecked()).toBe(true);
    await page.keyboard.press('Tab');
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Renew for 1 month');
    await page.keyboard.press('Enter');
    await page
      .getByRole('status')
      .filter({ hasText: /^Renewed: the license now expires on \d{4}-\d{2}-\d{2} \(serial 2\)\.$/ })
      .waitFor();
    const renewed = (await api.get(`/v1/staff/licenses/${licenseId}`)).body;
    expect(renewed.basic.expiresAt).toBeGreaterThan(before.basic.expiresAt + 27 * 86_400_000);

    await actions.getByRole('button', { name: 'Expand' }).click();
    await actions.getByLabel('query nodes').fill('1');
    await mainPage('staff-license');
    await actions.getByRole('button', { name: 'Add nodes' }).click();
    await page.getByRole('status').filter({ hasText: 'Nodes added: the license now has query 3 · storage 1 (serial 3).' }).waitFor();
    expect(await page.getByRole('region', { name: 'Purchased Resources' }).innerText()).toMatch(/Nodes\s+query 3 · storage 1/);
    expect(await page.getByRole('region', { name: 'History' }).innerText()).toMatch(
      /Nodes added\s+serial 3\s+query nodes 2 → 3[\s\S]*Renewed\s+serial 2\s+expiry \d{4}-\d\d-\d\d → \d{4}-\d\d-\d\d[\s\S]*Created/,
    );
    expect((await api.get(`/v1/staff/licenses/${licenseId}`)).body.resources.nodes).toEqual({ query: 3, storage: 1 });
  });

  it('changes the features and limits: one serial, the page and the history say exactly what changed; the same again changes nothing', async () => {
    const serial = (await api.get(`/v1/staff/licenses/${licenseId}`)).body.basic.serial as number;
    const actions = page.getByRole('region', { name: 'Actions' });
    await actions.getByRole('button', { name: 'Features and limits' }).click();
    // Prefilled with what the license grants now.
    expect(await actions.getByRole('checkbox', { name: 'backup' }).isChecked()).toBe(true);
    expect(await actions.getByLabel('shards limit').inputValue()).toBe('4');
    await actions.getByRole('checkbox', { name: 'federation' }).check();
    await actions.getByRole('checkbox', { name: 'backup' }).uncheck();
    await actions.getByLabel('shards limit').fill('6');
    await mainPage('staff-license-features');
    await actions.getByRole('button', { name: 'Save features and limits' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Features and limits: limits shards 6; features federation (serial ${serial + 1}).` })
      .waitFor();
    expect(await page.getByRole('region', { name: 'Purchased Resources' }).innerText()).toMatch(
      /shards limit\s+6\s+Features\s+federation\n/,
    );
    expect(await page.getByRole('region', { name: 'History' }).innerText()).toMatch(
      new RegExp(
        `Features and limits changed\\s+serial ${serial + 1}\\s+limit shards 4 → 6 · feature federation added · feature backup removed`,
      ),
    );
    expect((await api.get(`/v1/staff/licenses/${licenseId}`)).body.resources).toMatchObject({
      limits: { shards: 6 },
      features: ['federation'],
    });

    // The form, open still, now holds the new grant; saving it again changes nothing.
    expect(await actions.getByLabel('shards limit').inputValue()).toBe('6');
    await actions.getByRole('button', { name: 'Save features and limits' }).click();
    await page.getByRole('status').filter({ hasText: 'Nothing changed: the license already grants these features and limits.' }).waitFor();
    expect((await api.get(`/v1/staff/licenses/${licenseId}`)).body.basic.serial).toBe(serial + 1);
  });

  it('suspends with a reason (none is refused next to the field) and resumes', async () => {
    const actions = page.getByRole('region', { name: 'Actions' });
    await actions.getByRole('button', { name: 'Suspend' }).click();
    await actions.getByRole('button', { name: 'Suspend the license' }).click();
    await actions.getByRole('alert').filter({ hasText: 'Give a reason: it is kept in the license’s history and the audit log.' }).waitFor();
    expect(await actions.getByLabel('Reason for suspending').getAttribute('aria-invalid')).toBe('true');
    expect(await api.get(`/v1/staff/licenses/${licenseId}`)).toMatchObject({ body: { basic: { status: 'active' } } });
    await actions.getByLabel('Reason for suspending').fill('Invoice 42 unpaid');
    await actions.getByRole('button', { name: 'Suspend the license' }).click();
    await page.getByRole('status').filter({ hasText: 'The license is suspended' }).waitFor();
    expect(await page.getByRole('region', { name: 'Basic Info' }).locator('.badge').textContent()).toBe('Suspended');

    await actions.getByRole('button', { name: 'Resume' }).click();
    await actions.getByLabel('Reason for resuming').fill('Paid');
    await actions.getByRole('button', { name: 'Resume the license' }).click();
    await page.getByRole('status').filter({ hasText: 'The license is resumed.' }).waitFor();
    expect(await page.getByRole('region', { name: 'History' }).innerText()).toMatch(/Resumed[\s\S]*reason: Paid[\s\S]*Suspended/);
  });

  it("sets the license's own outage grace (a bad one refused at the field), then back to the product's default", async () => {
    const before = (await api.get(`/v1/staff/licenses/${licenseId}`)).body.basic.serial as number;
    const resources = page.getByRole('region', { name: 'Purchased Resources' });
    expect(await resources.innerText()).toMatch(/Outage grace\s+72 hours \(the product's default\)/);
    const actions = page.getByRole('region', { name: 'Actions' });
    await actions.getByRole('button', { name: 'Outage grace' }).click();
    await actions.getByRole('radio', { name: "This license's own" }).check();
    const hours = actions.getByLabel('Outage grace (hours)');
    await hours.fill('a week');
    await actions.getByRole('button', { name: 'Save the outage grace' }).click();
    await actions.getByRole('alert').filter({ hasText: 'The outage grace must be a whole number of hours from 0 to 2160' }).waitFor();
    await hours.fill('12');
    await mainPage('staff-license-grace');
    await actions.getByRole('button', { name: 'Save the outage grace' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Outage grace: 12 hours, this license's own (serial ${before + 1}).` })
      .waitFor();
    expect(await resources.innerText()).toMatch(/Outage grace\s+12 hours \(this license's own\)/);
    expect(await page.getByRole('region', { name: 'History' }).innerText()).toMatch(
      /Outage grace changed\s+serial \d+\s+outage grace 72 h → 12 h/,
    );

    await actions.getByRole('radio', { name: "The product's default" }).check();
    await actions.getByRole('button', { name: 'Save the outage grace' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Outage grace: 72 hours, the product's default (serial ${before + 2}).` })
      .waitFor();
    expect((await api.get(`/v1/staff/licenses/${licenseId}`)).body.resources).toMatchObject({
      outageGraceHours: 72,
      outageGraceOverride: null,
    });
  });

  it('creates a license without a contract from the customer page: dates in the wrong order are refused, the form kept', async () => {
    await page.goto(`/staff/customers/${customerId}`);
    const cards = page.getByRole('list', { name: 'Licenses of the customer' });
    await cards.getByRole('article', { name: 'GraphDB Enterprise' }).waitFor();
    expect(await cards.getByRole('link', { name: `Open license ${licenseId} (GraphDB Enterprise)` }).count()).toBe(1);
    expect(await page.getByRole('region', { name: 'Contracts' }).innerText()).toMatch(/1 year · query 2 · storage 1/);
    await mainPage('staff-customer-licenses');
    await page.getByRole('link', { name: 'New license' }).click();
    await page.getByRole('heading', { name: 'New license', level: 1 }).waitFor();
    await expect.poll(() => page.getByLabel('Customer').inputValue()).toBe(customerId);
    await page.getByLabel('Product').selectOption({ label: 'GraphDB Enterprise (graphdb: query, storage)' });
    await page.getByLabel('storage nodes').fill('3');
    await page.getByLabel('Starts on').fill('2027-03-01');
    await page.getByLabel('Expires at the end of').fill('2027-02-01');
    await page.getByRole('radio', { name: 'Offline' }).check();
    await page.getByRole('button', { name: 'Create license' }).click();
    await page.getByRole('alert').filter({ hasText: 'expiresAt must be after startsAt.' }).waitFor();
    expect(await page.getByLabel('storage nodes').inputValue()).toBe('3');
    expect(await page.getByRole('radio', { name: 'Offline' }).isChecked()).toBe(true);
    await page.getByLabel('Expires at the end of').fill('2028-02-29');
    await mainPage('staff-license-new');
    await page.getByRole('button', { name: 'Create license' }).click();
    await page.getByText('The license is created, not bound to a License Manager yet.').waitFor();
    const basic = await page.getByRole('region', { name: 'Basic Info' }).innerText();
    expect(basic).toMatch(/Valid\s+2027-03-01 to 2028-02-29/);
    expect(basic).toMatch(/Mode\s+Offline/);
    expect(await page.getByRole('region', { name: 'Subscription' }).innerText()).toContain('Issued without a contract.');
  });

  it('issues an offline key from a pasted request code: the verified LMID and quantities first, one adjusted, the key verifies', async () => {
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Request code → key' }).click();
    await page.getByRole('heading', { name: 'Key from a request code', level: 1 }).waitFor();
    const code = page.getByLabel('Request code');
    // A damaged code is refused in the API's words, and the pasted text stays to be corrected.
    const damaged = request.pasted.replace(/[A-Za-z](?=[^.]*\.[^.]*$)/, (ch) => (ch === 'A' ? 'B' : 'A'));
    await code.fill(damaged);
    await page.getByRole('button', { name: 'Preview' }).click();
    await page.getByRole('alert').waitFor();
    expect(await code.inputValue()).toBe(damaged);

    await code.fill(request.pasted);
    await page.getByRole('button', { name: 'Preview' }).click();
    const asks = page.getByRole('region', { name: 'What the code asks for' });
    await asks.waitFor();
    const text = await asks.innerText();
    expect(text).toContain(request.lm.lmid);
    expect(text).toMatch(/verified/);
    expect(text).toMatch(/Ann Operator · ann@globex\.example · \+1 555 0100/);
    expect(text).toMatch(/graph-07 \(linux x64\)/);
    expect(text).toMatch(/Nodes\s+query 4 · storage 2/);
    expect(page.url()).toBe(`${tc.center.url}/staff/request-code`);

    const issue = page.getByRole('form', { name: 'Issue the offline key' });
    await issue.getByLabel('Customer').selectOption(customerId);
    await expect.poll(() => issue.getByLabel('Product').inputValue()).not.toBe('');
    expect(await issue.getByLabel('query nodes').inputValue()).toBe('4');
    await issue.getByLabel('query nodes').fill('5');
    await mainPage('staff-request-code');
    await issue.getByRole('button', { name: 'Issue key' }).click();
    const key = page.getByRole('textbox', { name: 'The offline key' });
    await key.waitFor();
    const shown = await key.inputValue();
    await page.getByRole('button', { name: 'Copy offline key' }).click();
    await page.getByRole('status').filter({ hasText: 'The offline key is copied to the clipboard.' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(shown);

    const trust = trustBundleOf(await (await fetch(`${tc.center.url}/v1/trust-bundle`)).text());
    if (!trust.ok) throw new Error(trust.detail);
    const verdict = checkLicenseKey(shown, trust.value, { now: Date.now(), lmid: request.lm.lmid, product: 'graphdb' });
    expect(verdict).toMatchObject({ valid: true, code: 'VALID' });
    expect(verdict.license?.nodes).toEqual({ query: 5, storage: 2 });
    await mainPage('staff-request-code-key');

    // Issued again as new content for the same license (one more query node): the key changes, the license stays one.
    const issuedId = /Open the license (lic_\w+)/.exec(await page.getByRole('region', { name: 'The offline key' }).innerText())![1]!;
    await issue.getByLabel('License', { exact: true }).selectOption(issuedId);
    await issue.getByLabel('query nodes').fill('6');
    await issue.getByRole('button', { name: 'Issue key' }).click();
    await expect.poll(() => key.inputValue()).not.toBe(shown);
    const again = checkLicenseKey(await key.inputValue(), trust.value, { now: Date.now(), lmid: request.lm.lmid, product: 'graphdb' });
    expect(again).toMatchObject({ valid: true, license: { id: issuedId, nodes: { query: 6, storage: 2 } } });

    // The issued license is the customer's, bound to the code's LMID.
    await page.getByRole('link', { name: /^Open the license lic_/ }).click();
    await page.getByRole('heading', { name: 'GraphDB Enterprise license', level: 1 }).waitFor();
    expect(await page.getByRole('region', { name: 'Basic Info' }).innerText()).toContain(request.lm.lmid);
    expect((await api.get(`/v1/staff/customers/${customerId}`)).body.licenseCount).toBe(3);
  });

  it('never put the request code or key in a URL, storage or the console, and the page threw nothing', async () => {
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
    expect(await page.evaluate(() => history.length)).toBeGreaterThan(1);
    expect(portal.console.filter((line) => line.includes(request.code.slice(0, 40)))).toEqual([]);
    expect(consoleProblems(portal.console)).toEqual([]);
  });
});
