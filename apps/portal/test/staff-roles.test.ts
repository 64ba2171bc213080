/**
 * The staff administration pages and the roles, in Chromium: the audit log with its chain status, the signing
 * keys (ROTATE), LMIDs flagged as clones, staff users (a new sales user's one-time login link, shown once), a
 * rebind with the LMID's check character verified as typed, the renewal requests on the staff home with the
 * mailed link's page; then the sales user, who does not see admin-only actions, and a role taken away while a
 * page is open, whose refusal reads "not available to your role". Screenshots and axe-core on each main page.
 */
import { buildSyncRequest, SYNC_PATH } from '@tessera/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../packages/center/test/support/http.js';
import { makeLm } from '../../../packages/center/test/support/licensing.js';
import { axeCheck, consoleProblems, launchBrowser, openPortal, screenshots } from './support/browser.js';
import type { PortalPage } from './support/browser.js';
import { linkOnCenter, logInWithLink, staffLoginLink } from './support/staff.js';
import { productFor, startTestCenter } from './support/vendor.js';
import type { TestCenter } from './support/vendor.js';

const LM = makeLm();
const NEW_LM = makeLm();
const TYPO = NEW_LM.lmid.slice(0, -1) + (NEW_LM.lmid.endsWith('0') ? '1' : '0');

describe('staff administration and roles in Chromium', () => {
  let tc: TestCenter;
  let browser: Browser;
  let admin: PortalPage;
  let page: Page;
  let api: Client;
  let customer: Client;
  let licenseId: string;
  let salesUserId: string;
  let salesLink: string;

  const mainPage = async (on: Page, name: string) => {
    expect({ name, serious: await axeCheck(on, name) }).toEqual({ name, serious: [] });
    expect({ name, ...(await screenshots(on, name)) }).toEqual({ name, overflow: 0 });
  };

  /** One sync of the LM from `hostname`: the same LMID from two hostnames is a likely clone. */
  const sync = async (onlineKey: string, hostname: string) => {
    const request = buildSyncRequest(
      {
        onlineKey,
        lmid: LM.lmid,
        lmPublicKeyRaw: LM.lmPublicKeyRaw,
        hostDigest: LM.hostDigest,
        known: null,
        usage: { query: 1 },
        lmVersion: '0.1.0',
        host: { hostname, os: 'linux x64' },
      },
      LM.privateKey,
    );
    const answer = await fetch(`${tc.center.url}${SYNC_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request }),
    });
    expect(answer.status).toBe(200);
  };

  beforeAll(async () => {
    [tc, browser] = await Promise.all([startTestCenter('sqlite', {}, Date.now()), launchBrowser()]);
    api = (await tc.staff('automation@vendor.example', 'admin')).client;
    const productId = await productFor(api, 'graphdb', 'GraphDB Enterprise');
    // A customer's online license, bound and synced from two hosts (a copied LM), and a renewal asked for.
    const buyer = await tc.customer('ops@initech.example');
    customer = buyer.client;
    const sold = await api.post('/v1/staff/contracts', {
      customerId: buyer.customerId,
      productId,
      term: '1y',
      autoRenew: false,
      quantities: { query: 2, storage: 2 },
      mode: 'online',
    });
    expect(sold.status).toBe(201);
    licenseId = sold.body.license.id as string;
    expect((await customer.post(`/v1/licenses/${licenseId}/bind`, { lmid: LM.lmid })).status).toBe(200);
    const key = await customer.get(`/v1/licenses/${licenseId}/key`);
    await sync(key.body.key as string, 'graph-01');
    await sync(key.body.key as string, 'graph-01-copy');
    expect((await customer.post(`/v1/licenses/${licenseId}/renewal-request`, { months: 12 })).status).toBe(202);

    admin = await openPortal(browser, tc.center.url);
    page = admin.page;
    await logInWithLink(page, (await staffLoginLink(tc, 'boss@vendor.example', 'admin')).url);
  });
  afterAll(async () => {
    await browser?.close();
    await tc?.close();
  });

  it('lists the open renewal request on the staff home; its link opens the license, as the mailed link does', async () => {
    const requests = page.getByRole('region', { name: 'Open renewal requests' });
    const row = requests.getByRole('row').filter({ hasText: licenseId });
    await row.waitFor();
    expect(await row.innerText()).toMatch(/graphdb[\s\S]*Customer of ops@initech\.example[\s\S]*1 year/);
    await row.getByRole('link', { name: new RegExp(licenseId) }).click();
    await page.getByRole('heading', { name: 'GraphDB Enterprise license', level: 1 }).waitFor();
    expect(page.url()).toBe(`${tc.center.url}/staff/licenses/${licenseId}`);
    expect(await page.getByRole('region', { name: 'History' }).innerText()).toContain('Renewal requested');
    // Whose license, by name, linked to the customer.
    await page.getByRole('region', { name: 'Basic Info' }).getByRole('link', { name: 'Customer of ops@initech.example' }).waitFor();
    // The mailed link is this address, opened afresh.
    await page.goto(`/staff/licenses/${licenseId}`);
    await page.getByRole('heading', { name: 'GraphDB Enterprise license', level: 1 }).waitFor();
  });

  it('rebinds with a reason: a typo in the check character is caught as typed, then the license moves', async () => {
    const actions = page.getByRole('region', { name: 'Actions' });
    await actions.getByRole('button', { name: 'Rebind' }).click();
    const lmid = actions.getByLabel('New LMID');
    await lmid.pressSequentially(TYPO);
    await actions.getByRole('alert').filter({ hasText: 'This LMID has a typo: its check character does not match.' }).waitFor();
    expect(await lmid.getAttribute('aria-invalid')).toBe('true');
    await lmid.fill(NEW_LM.lmid.toLowerCase());
    await actions.getByText(`The check character matches: ${NEW_LM.lmid}.`).waitFor();
    await actions.getByRole('button', { name: 'Move the license' }).click();
    await actions.getByRole('alert').filter({ hasText: 'Give a reason' }).waitFor();
    expect(await lmid.inputValue()).toBe(NEW_LM.lmid.toLowerCase());
    await actions.getByLabel('Reason for moving').fill('Host graph-01 replaced');
    await mainPage(page, 'staff-license-rebind');
    await actions.getByRole('button', { name: 'Move the license' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `The license is moved to ${NEW_LM.lmid}` })
      .waitFor();
    expect(await page.getByRole('region', { name: 'Basic Info' }).innerText()).toContain(NEW_LM.lmid);
    expect((await api.get(`/v1/staff/licenses/${licenseId}`)).body.basic.lmid).toBe(NEW_LM.lmid);

    // The mode: online to offline.
    await actions.getByRole('button', { name: 'Mode' }).click();
    await actions.getByRole('radio', { name: 'Offline' }).check();
    await actions.getByRole('button', { name: 'Switch to offline' }).click();
    await page.getByRole('status').filter({ hasText: 'The license is in offline mode' }).waitFor();
    expect(await page.getByRole('region', { name: 'Basic Info' }).innerText()).toMatch(/Mode\s+Offline/);
    expect((await api.get(`/v1/staff/licenses/${licenseId}`)).body.key.mode).toBe('offline');
  });

  it('shows the contracts, and one contract with its license', async () => {
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Contracts' }).click();
    const table = page.getByRole('region', { name: 'Contracts' });
    await table.getByRole('row').nth(1).waitFor();
    expect(await table.innerText()).toMatch(/1 year[\s\S]*query 2 · storage 2/);
    // The customer and the product by name, not by id.
    await table.getByRole('link', { name: 'Customer of ops@initech.example' }).waitFor();
    expect(await table.innerText()).toContain('GraphDB Enterprise');
    expect(await table.innerText()).not.toMatch(/cus_|prd_/);
    await mainPage(page, 'staff-contracts');
    await table.getByRole('link', { name: /^ctr_/ }).click();
    const facts = page.getByRole('region', { name: 'Sales contract' });
    await facts.getByRole('link', { name: licenseId }).waitFor();
    await facts.getByRole('link', { name: 'Customer of ops@initech.example' }).waitFor();
  });

  it('flags the LMID seen syncing from two hosts as a clone', async () => {
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Clones' }).click();
    const clones = page.getByRole('list', { name: 'LMIDs flagged as clones' });
    await clones.waitFor();
    expect(await clones.innerText()).toBe(`${LM.lmid}: graph-01, graph-01-copy`);
    await mainPage(page, 'staff-clones');
  });

  it('shows the audit log, newest first, with its chain intact', async () => {
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByText(/^Intact: all \d+ events link to each other and match their hashes\.$/).waitFor();
    const rows = page.getByRole('region', { name: 'Audit events' }).getByRole('row');
    await rows.nth(1).waitFor();
    // Newest first: the mode switch, then the rebind before it; in words, by who did it (a name, not a usr_ id),
    // with the details as lines rather than JSON.
    expect(await rows.nth(1).innerText()).toContain('License mode');
    expect(await rows.nth(2).innerText()).toMatch(/boss@vendor\.example\s+License rebound[\s\S]*reason\s+Host graph-01 replaced/);
    const all = await page.getByRole('region', { name: 'Audit events' }).innerText();
    expect(all).toContain('Contract created');
    expect(all).not.toMatch(/\busr_[A-Za-z0-9]+\s+(License|Contract)/);
    expect(all).not.toContain('{"');
    // The subject by name, linked, with its id beneath: the customer of a customer event.
    await page
      .getByRole('region', { name: 'Audit events' })
      .getByRole('link', { name: 'Customer of ops@initech.example' })
      .first()
      .waitFor();
    await mainPage(page, 'staff-audit');
  });

  it('rotates the signing key: the new one is active, the old one retired', async () => {
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Signing keys' }).click();
    const keys = page.getByRole('region', { name: 'Signing keys' });
    await keys.getByRole('row').nth(1).waitFor();
    expect(await keys.getByRole('row').count()).toBe(2);
    await page.getByRole('button', { name: 'Rotate the signing key' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: /^The new active key is \S+; the old one is retired/ })
      .waitFor();
    await expect.poll(() => keys.getByRole('row').count()).toBe(3);
    const states = (await keys.getByRole('row').allInnerTexts()).slice(1).map((row) => /\b(active|retired)\b/.exec(row)?.[1]);
    expect(states.sort()).toEqual(['active', 'retired']);
    await mainPage(page, 'staff-keys');
  });

  it('defines a product (one without node roles refused in the API’s words, the form kept) and lists it', async () => {
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Products' }).click();
    const list = page.getByRole('list', { name: 'Products' });
    await list.getByText('GraphDB Enterprise', { exact: true }).waitFor();
    const form = page.getByRole('form', { name: 'New product' });
    await form.getByLabel('Slug').fill('vectordb');
    await form.getByLabel('Name', { exact: true }).fill('VectorDB');
    await form.getByRole('button', { name: 'Define product' }).click();
    await form.getByRole('alert').waitFor();
    expect(await form.getByLabel('Slug').inputValue()).toBe('vectordb');
    await form.getByLabel('Node roles').fill('index, search');
    await form.getByLabel('Features (optional)').fill('sso');
    // The outage grace starts at the new-product default, explained; a grace that is not whole hours is refused at the field.
    const grace = form.getByLabel('Outage grace (hours)');
    expect(await grace.inputValue()).toBe('72');
    expect(await form.innerText()).toContain(
      "How long nodes keep running when the customer's License Manager is unreachable; 0 = stop at the end of the lease.",
    );
    await grace.fill('1.5');
    await form.getByRole('button', { name: 'Define product' }).click();
    await form
      .getByRole('alert')
      .filter({ hasText: 'The outage grace must be a whole number of hours from 0 to 2160; it is "1.5".' })
      .waitFor();
    expect(await grace.getAttribute('aria-invalid')).toBe('true');
    await grace.fill('24');
    await mainPage(page, 'staff-products');
    await form.getByRole('button', { name: 'Define product' }).click();
    await form.getByRole('status').filter({ hasText: 'The product VectorDB (vectordb) is defined.' }).waitFor();
    await list.getByText('VectorDB', { exact: true }).waitFor();
    expect(await list.innerText()).toMatch(
      /VectorDB vectordb\s+Node roles: index, search · limits: none · features: sso · outage grace: 24 hours/,
    );
    expect(await list.innerText()).toMatch(/GraphDB Enterprise graphdb\s+Node roles: .* · outage grace: 72 hours/);
    const products = (await api.get('/v1/staff/products')).body.items as { slug: string; roles: string[]; outageGraceHours: number }[];
    expect(products.find((p) => p.slug === 'vectordb')).toMatchObject({ roles: ['index', 'search'], outageGraceHours: 24 });
  });

  it("changes a product's outage grace: the license that follows it is signed again, and its page says so", async () => {
    const serial = (await api.get(`/v1/staff/licenses/${licenseId}`)).body.basic.serial as number;
    const list = page.getByRole('list', { name: 'Products' });
    await list.getByRole('button', { name: 'Outage grace of GraphDB Enterprise' }).click();
    const form = page.getByRole('form', { name: 'Outage grace of GraphDB Enterprise' });
    expect(await form.getByLabel('Outage grace (hours)').inputValue()).toBe('72');
    await form.getByLabel('Outage grace (hours)').fill('0');
    await mainPage(page, 'staff-product-grace');
    await form.getByRole('button', { name: 'Save the outage grace' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'The outage grace of GraphDB Enterprise is 0 hours (strict); 1 license that follows it was signed again.' })
      .waitFor();
    await expect.poll(() => list.innerText()).toMatch(/GraphDB Enterprise graphdb\s+Node roles: .* · outage grace: 0 hours \(strict\)/);
    expect((await api.get(`/v1/staff/licenses/${licenseId}`)).body).toMatchObject({
      basic: { serial: serial + 1 },
      resources: { outageGraceHours: 0, outageGraceOverride: null },
    });

    await page.goto(`/staff/licenses/${licenseId}`);
    const resources = page.getByRole('region', { name: 'Purchased Resources' });
    await resources.waitFor();
    expect(await resources.innerText()).toMatch(/Outage grace\s+0 hours \(strict\) \(the product's default\)/);
    expect(await page.getByRole('region', { name: 'History' }).innerText()).toMatch(
      /Outage grace changed\s+serial \d+\s+outage grace 72 h → 0 h \(the product's default\)/,
    );
  });

  it('creates a sales user (a bad address refused in the API’s words) and shows its login link once', async () => {
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Staff users' }).click();
    const form = page.getByRole('form', { name: 'New staff user' });
    await form.getByLabel('Email').fill('sam@');
    await form.getByRole('button', { name: 'Create staff user' }).click();
    await form.getByRole('alert').filter({ hasText: 'The email must be an address like name@example.com.' }).waitFor();
    expect(await form.getByLabel('Email').inputValue()).toBe('sam@');
    await form.getByLabel('Email').fill('sam@vendor.example');
    await form.getByLabel('Role').selectOption('sales');
    await form.getByRole('button', { name: 'Create staff user' }).click();
    const shown = page.getByRole('textbox', { name: 'Login link for sam@vendor.example' });
    await shown.waitFor();
    salesLink = linkOnCenter(tc, await shown.inputValue());
    const users = page.getByRole('region', { name: 'Staff users' });
    await users.getByRole('row').filter({ hasText: 'sam@vendor.example' }).waitFor();
    await mainPage(page, 'staff-users');
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await shown.count()).toBe(0);
    const listed = await api.get('/v1/staff/users');
    salesUserId = (listed.body.items as { id: string; email: string }[]).find((u) => u.email === 'sam@vendor.example')!.id;
  });

  it('a sales user sees what sales may do and none of the admin-only actions', async () => {
    const sales = await openPortal(browser, tc.center.url);
    const on = sales.page;
    await logInWithLink(on, salesLink);
    await on.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Request code → key' }).waitFor();
    await on.goto(`/staff/licenses/${licenseId}`);
    const actions = on.getByRole('region', { name: 'Actions' });
    await actions.getByRole('button', { name: 'Renew' }).waitFor();
    expect(await actions.getByRole('button').allInnerTexts()).toEqual([
      'Renew',
      'Expand',
      'Features and limits',
      'Suspend',
      'Outage grace',
      'Mode',
    ]);
    await on.goto('/staff/keys');
    await on.getByRole('region', { name: 'Signing keys' }).waitFor();
    expect(await on.getByRole('button', { name: 'Rotate the signing key' }).count()).toBe(0);
    await on.goto('/staff/users');
    await on.getByRole('region', { name: 'Staff users' }).waitFor();
    expect(await on.getByRole('form', { name: 'New staff user' }).count()).toBe(0);
    expect(await on.getByRole('button', { name: 'Disable' }).count()).toBe(0);
    await mainPage(on, 'staff-users-sales');

    // The role changes while a page is open: the License Center refuses, and the page says why in words.
    await on.goto(`/staff/licenses/${licenseId}`);
    await actions.getByRole('button', { name: 'Renew' }).click();
    expect((await api.put(`/v1/staff/users/${salesUserId}/role`, { role: 'support' })).status).toBe(200);
    await actions.getByRole('button', { name: 'Renew for 1 year' }).click();
    await actions
      .getByRole('alert')
      .filter({ hasText: 'This is not available to your role. An admin can do it, or give you a role that may.' })
      .waitFor();
    expect(consoleProblems(sales.console)).toEqual([]);
    await sales.context.close();
  });

  it('a support user may move bindings and read, and sees no sales or admin actions', async () => {
    const support = await openPortal(browser, tc.center.url);
    const on = support.page;
    await logInWithLink(on, (await staffLoginLink(tc, 'sue@vendor.example', 'support')).url);
    await on.getByText('As support you can read everything and move a license to another License Manager (rebind).').waitFor();
    const nav = await on.getByRole('navigation', { name: 'Staff' }).getByRole('link').allInnerTexts();
    expect(nav).not.toContain('Request code → key');
    expect(await on.getByRole('link', { name: 'New sales contract' }).count()).toBe(0);
    await on.goto(`/staff/licenses/${licenseId}`);
    const actions = on.getByRole('region', { name: 'Actions' });
    await actions.getByRole('button', { name: 'Rebind' }).waitFor();
    expect(await actions.getByRole('button').allInnerTexts()).toEqual(['Rebind', 'Mode']);
    await on.goto('/staff/customers');
    await on.getByRole('heading', { name: 'Customers', level: 1 }).waitFor();
    expect(await on.getByRole('form', { name: 'New customer' }).count()).toBe(0);
    expect(consoleProblems(support.console)).toEqual([]);
    await support.context.close();
  });

  it('threw nothing and broke no content policy in the admin’s page', () => {
    expect(consoleProblems(admin.console)).toEqual([]);
  });
});
