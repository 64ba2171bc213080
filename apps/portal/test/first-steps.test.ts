/**
 * The staff home of a new License Center in Chromium: the first steps (product → customer → contract → invite)
 * as links, each one marked done once it exists (however it was made), and the list gone when all are. The API
 * answers the same to every staff role, 404 to a customer. Screenshots at 1280 and 375 px and axe-core.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../packages/center/test/support/http.js';
import { axeCheck, consoleProblems, launchBrowser, openPortal, screenshots } from './support/browser.js';
import type { PortalPage } from './support/browser.js';
import { logInWithLink, staffLoginLink } from './support/staff.js';
import { productFor, startTestCenter } from './support/vendor.js';
import type { TestCenter } from './support/vendor.js';

describe('the first steps on the staff home in Chromium', () => {
  let tc: TestCenter;
  let browser: Browser;
  let portal: PortalPage;
  let page: Page;
  let api: Client;

  const steps = () => page.getByRole('region', { name: 'First steps' }).getByRole('listitem').allInnerTexts();

  beforeAll(async () => {
    [tc, browser] = await Promise.all([startTestCenter('sqlite', {}, Date.now()), launchBrowser()]);
    api = (await tc.staff('automation@vendor.example', 'admin')).client;
    portal = await openPortal(browser, tc.center.url);
    page = portal.page;
    await logInWithLink(page, (await staffLoginLink(tc, 'boss@vendor.example', 'admin')).url);
  });
  afterAll(async () => {
    await browser?.close();
    await tc?.close();
  });

  it('lists the four steps as links on a new License Center (the built-in License Manager is no product of the vendor)', async () => {
    await page.getByRole('region', { name: 'First steps' }).waitFor();
    expect(await steps()).toEqual([
      'Add a product — its node roles, limits and features (admin)',
      'Add a customer — the company that buys',
      'Sell a contract — which grants the customer its license',
      'Invite the customer’s users — from the customer’s page; they bind a License Manager and copy the key',
    ]);
    expect(await page.getByRole('link', { name: 'Add a product' }).getAttribute('href')).toBe('/staff/products');
    expect({ serious: await axeCheck(page, 'staff-home-first-steps') }).toEqual({ serious: [] });
    expect(await screenshots(page, 'staff-home-first-steps')).toEqual({ overflow: 0 });
  });

  it('marks each step done once it exists, and shows no list when all are', async () => {
    const productId = await productFor(api, 'graphdb', 'GraphDB Enterprise');
    const customer = await api.post('/v1/staff/customers', { name: 'Initech' });
    await page.reload();
    await page.getByRole('link', { name: 'Sell a contract' }).waitFor();
    expect(await steps()).toEqual([
      'Add a product: done',
      'Add a customer: done',
      'Sell a contract — which grants the customer its license',
      'Invite the customer’s users — from the customer’s page; they bind a License Manager and copy the key',
    ]);
    const customerId = customer.body.id as string;
    expect(
      (await api.post('/v1/staff/contracts', { customerId, productId, term: '1y', autoRenew: false, quantities: { query: 1 } })).status,
    ).toBe(201);
    expect((await api.post(`/v1/staff/customers/${customerId}/invite`, { email: 'ops@initech.example' })).status).toBe(202);
    expect((await api.get('/v1/staff/first-steps')).body).toEqual({ product: true, customer: true, contract: true, invited: true });
    await page.reload();
    await page.getByRole('region', { name: 'Open renewal requests' }).waitFor();
    expect(await page.getByRole('region', { name: 'First steps' }).count()).toBe(0);
    expect(consoleProblems(portal.console)).toEqual([]);
  });

  it('answers the steps to every staff role and 404 to a customer', async () => {
    const support = (await tc.staff('help@vendor.example', 'support')).client;
    expect((await support.get('/v1/staff/first-steps')).status).toBe(200);
    const { client } = await tc.customer('someone@initech.example');
    expect((await client.get('/v1/staff/first-steps')).status).toBe(404);
  });
});
