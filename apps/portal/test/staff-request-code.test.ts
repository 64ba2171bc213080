/**
 * A crafted request code in Chromium against a real License Center with the built portal. The customer's code asks
 * for more than the node counts: a role, a limit and a feature graphdb does not have, a limit and a feature it
 * does, and ten years. A sales user sees every ask, the unknown ones flagged; keeps, changes and strikes them row by
 * row; and the key core reads holds exactly what the form showed as granted. Another product is flagged and
 * refused. The page is checked with axe-core and screenshotted at desktop and 375 px.
 */
import { readLicense } from '@tessera/core';
import type { TrustBundle } from '@tessera/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../packages/center/test/support/http.js';
import { axeCheck, consoleProblems, launchBrowser, openPortal, screenshots } from './support/browser.js';
import type { PortalPage } from './support/browser.js';
import { logInWithLink, requestCodeOf, staffLoginLink } from './support/staff.js';
import { startTestCenter, trustBundleOf } from './support/vendor.js';
import type { TestCenter } from './support/vendor.js';

const DAY = 86_400_000;

describe('a request code asking for more than it shows, in Chromium', () => {
  let tc: TestCenter;
  let browser: Browser;
  let portal: PortalPage;
  let page: Page;
  let api: Client;
  let trust: TrustBundle;
  let customerId: string;
  const request = requestCodeOf({ query: 2, storage: 3, gpu: 8 }, 120, {
    limits: { remote_clusters: 40, max_users: 100_000 },
    features: ['scan', 'federation'],
  });
  const issueForm = () => page.getByRole('form', { name: 'Issue the offline key' });
  const licenseCount = async () => (await api.get(`/v1/staff/customers/${customerId}`)).body.licenseCount as number;

  const mainPage = async (name: string) => {
    expect({ name, serious: await axeCheck(page, name) }).toEqual({ name, serious: [] });
    expect({ name, ...(await screenshots(page, name)) }).toEqual({ name, overflow: 0 });
  };

  beforeAll(async () => {
    [tc, browser] = await Promise.all([startTestCenter('sqlite', {}, Date.now()), launchBrowser()]);
    api = (await tc.staff('automation@vendor.example', 'admin')).client;
    for (const product of [
      {
        slug: 'graphdb',
        name: 'GraphDB Enterprise',
        roles: ['query', 'storage'],
        limits: ['remote_clusters'],
        features: ['scan', 'backup'],
      },
      { slug: 'explorer', name: 'Graph Explorer', roles: ['query'] },
    ]) {
      expect((await api.post('/v1/staff/products', product)).status).toBe(201);
    }
    const customer = await api.post('/v1/staff/customers', { name: 'Initech' });
    expect(customer.status).toBe(201);
    customerId = customer.body.id;
    const bundle = trustBundleOf(await (await fetch(`${tc.center.url}/v1/trust-bundle`)).text());
    if (!bundle.ok) throw new Error(bundle.detail);
    trust = bundle.value;
    portal = await openPortal(browser, tc.center.url);
    page = portal.page;
    const { url } = await staffLoginLink(tc, 'sales@vendor.example', 'sales');
    await logInWithLink(page, url);
  });
  afterAll(async () => {
    await browser?.close();
    await tc?.close();
  });

  it('previews every ask of the code and flags each one graphdb does not define', async () => {
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Request code → key' }).click();
    await page.getByRole('heading', { name: 'Key from a request code', level: 1 }).waitFor();
    await page.getByLabel('Request code').fill(request.pasted);
    await page.getByRole('button', { name: 'Preview' }).click();
    const asks = page.getByRole('region', { name: 'What the code asks for' });
    await asks.getByRole('list', { name: 'Flagged asks' }).waitFor();
    const text = await asks.innerText();
    expect(text).toContain(request.lm.lmid);
    expect(text).toMatch(/Product\s+graphdb\n/);
    expect(text).toMatch(/Nodes\s+query 2 · storage 3 · gpu 8 \(not defined: not granted\)\n/);
    expect(text).toMatch(/Limits\s+remote_clusters 40 · max_users 100000 \(not defined: not granted\)\n/);
    expect(text).toMatch(/Features\s+scan · federation \(not defined: not granted\)\n/);
    expect(text).toMatch(/Months\s+120 months \(10 years\)/);
    expect(await asks.getByRole('list', { name: 'Flagged asks' }).getByRole('listitem').allInnerTexts()).toEqual([
      'gpu nodes (8): graphdb has no role gpu (it has query, storage).',
      'limit max_users (100000): graphdb has no limit max_users (it has remote_clusters).',
      'feature federation: graphdb has no feature federation (it has scan, backup).',
    ]);
  });

  it('prefills the form with every ask it can grant, and lists those it cannot as not granted', async () => {
    const form = issueForm();
    await form.getByLabel('Customer').selectOption(customerId);
    await expect.poll(() => form.getByLabel('Product').inputValue()).not.toBe('');
    expect(await form.getByLabel('query nodes to grant').inputValue()).toBe('2');
    expect(await form.getByLabel('storage nodes to grant').inputValue()).toBe('3');
    expect(await form.getByLabel('remote_clusters limit to grant').inputValue()).toBe('40');
    expect(await form.getByRole('checkbox', { name: 'grant feature scan' }).isChecked()).toBe(true);
    expect(await form.getByRole('checkbox', { name: 'grant feature backup' }).isChecked()).toBe(false);
    expect(await form.getByLabel('Months to grant').inputValue()).toBe('120');
    const rows = await form.getByRole('table').getByRole('row').allInnerTexts();
    expect(rows.map((row) => row.replace(/\s+/g, ' ').trim())).toEqual([
      'Item The code asks Grant',
      'Product graphdb graphdb',
      // Each field's label is there for screen readers only.
      'query nodes 2 query nodes to grant',
      'storage nodes 3 storage nodes to grant',
      'remote_clusters limit 40 remote_clusters limit to grant',
      'feature scan asked grant feature scan',
      'feature backup not asked grant feature backup',
      'gpu nodes 8 not granted: not defined by graphdb',
      'max_users limit 100000 not granted: not defined by graphdb',
      'federation feature asked not granted: not defined by graphdb',
      'Months 120 Months to grant, from today (1 to 120)',
    ]);
    expect(await form.getByText('The key will hold:').locator('..').innerText()).toBe(
      'The key will hold: nodes query 2 · storage 3; limits remote_clusters 40; features scan; 120 months (10 years) from today.',
    );
    await mainPage('staff-request-code-flagged');
  });

  it('refuses months that are not a whole number next to the form, and the API refuses over 120; nothing is issued', async () => {
    const form = issueForm();
    const months = form.getByLabel('Months to grant');
    await months.fill('ten');
    await form.getByRole('button', { name: 'Issue key' }).click();
    await form.getByRole('alert').filter({ hasText: 'The months must be a whole number from 1 to 120.' }).waitFor();
    expect(await months.getAttribute('aria-invalid')).toBe('true');
    await months.fill('121');
    await form.getByRole('button', { name: 'Issue key' }).click();
    await form
      .getByRole('alert')
      .filter({ hasText: /^Bad request: body\/grant\/months must be <= 120\.$/ })
      .waitFor();
    expect(await licenseCount()).toBe(0);
  });

  it('issues exactly what the form shows: one count kept, one changed, the limit and a feature struck, one added', async () => {
    const form = issueForm();
    await form.getByLabel('storage nodes to grant').fill('4');
    await form.getByLabel('remote_clusters limit to grant').fill('');
    await form.getByRole('checkbox', { name: 'grant feature scan' }).uncheck();
    await form.getByRole('checkbox', { name: 'grant feature backup' }).check();
    await form.getByLabel('Months to grant').fill('12');
    expect(await form.getByText('The key will hold:').locator('..').innerText()).toBe(
      'The key will hold: nodes query 2 · storage 4; limits none; features backup; 12 months from today.',
    );
    await form.getByRole('button', { name: 'Issue key' }).click();
    const key = page.getByRole('textbox', { name: 'The offline key' });
    await key.waitFor();
    const read = readLicense(await key.inputValue(), trust);
    if (!read.ok) throw new Error(read.detail);
    const license = read.value;
    expect({
      lmid: license.lmid,
      product: license.product,
      nodes: license.nodes,
      limits: license.limits,
      features: license.features,
    }).toEqual({
      lmid: request.lm.lmid,
      product: 'graphdb',
      nodes: { query: 2, storage: 4 },
      limits: {},
      features: ['backup'],
    });
    const term = (license.expiresAtMs - license.startsAtMs) / DAY;
    expect(term).toBeGreaterThanOrEqual(365);
    expect(term).toBeLessThanOrEqual(366);
    expect(await page.getByRole('region', { name: 'The offline key' }).innerText()).toContain(
      `Issued for ${request.lm.lmid}: nodes query 2 · storage 4; limits none; features backup; until`,
    );
    expect(await licenseCount()).toBe(1);
    await mainPage('staff-request-code-issued');
  });

  it('flags another product as not the one asked for, and the License Center refuses to issue for it', async () => {
    const form = issueForm();
    await form.getByLabel('Product').selectOption({ label: 'Graph Explorer (explorer: query)' });
    const flagged = page.getByRole('region', { name: 'What the code asks for' }).getByRole('list', { name: 'Flagged asks' });
    await expect.poll(() => flagged.getByRole('listitem').first().innerText()).toMatch(/^The code asks for graphdb, not explorer/);
    expect(await flagged.getByRole('listitem').allInnerTexts()).toHaveLength(7);
    expect(await form.getByRole('row', { name: /^Product/ }).innerText()).toMatch(/graphdb\s+The code asks for graphdb, not explorer/);
    await form.getByRole('button', { name: 'Issue key' }).click();
    await form.getByRole('alert').filter({ hasText: 'This request code asks for graphdb, not for explorer.' }).waitFor();
    expect(await licenseCount()).toBe(1);
  });

  it('never put the request code or key in a URL, storage or the console, and the page threw nothing', async () => {
    expect(page.url()).toBe(`${tc.center.url}/staff/request-code`);
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
    expect(portal.console.filter((line) => line.includes(request.code.slice(0, 40)))).toEqual([]);
    expect(consoleProblems(portal.console)).toEqual([]);
  });
});
