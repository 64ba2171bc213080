/**
 * An AWS Marketplace buyer in Chromium: LC's answer to the registration POST (against the local AWS stand-in)
 * leads to the portal's welcome page, where the buyer names an email; the setup mail then opens the usual
 * registration, and the new account sees the marketplace license with its subscription.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAws } from '../../../packages/center/test/support/fake-aws.js';
import { PASSWORD } from '../../../packages/center/test/support/http.js';
import { axeCheck, consoleProblems, launchBrowser, openPortal, screenshots } from './support/browser.js';
import type { PortalPage } from './support/browser.js';
import { mailedLink, startTestCenter } from './support/vendor.js';
import type { TestCenter } from './support/vendor.js';

// The SDK's default credential chain reads these; the stand-in checks only the signature's shape.
process.env.AWS_ACCESS_KEY_ID = 'AKIDTESTPORTAL';
process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-key';

const PRODUCT_CODE = 'prodportal01';
const BUYER = { customerIdentifier: 'CUSTportal0001', accountId: '444455556666', productCode: PRODUCT_CODE };
const EMAIL = 'buyer@marketplace.example';

describe('an AWS Marketplace buyer in Chromium', () => {
  let aws: FakeAws;
  let tc: TestCenter;
  let browser: Browser;
  let portal: PortalPage;
  let page: Page;

  beforeAll(async () => {
    aws = await new FakeAws().start();
    [tc, browser] = await Promise.all([
      startTestCenter(
        'sqlite',
        {
          TESSERA_AWS_ENDPOINT: aws.url,
          TESSERA_AWS_MARKETPLACE_PRODUCTS: JSON.stringify({
            [PRODUCT_CODE]: { product: 'graphdb', dimensions: { query_nodes: 'query', storage_nodes: 'storage' } },
          }),
        },
        Date.now(),
      ),
      launchBrowser(),
    ]);
    const product = await tc.center.services.catalogue.createProduct(
      { slug: 'graphdb', name: 'GraphDB Cloud', roles: ['query', 'storage'], limits: [], features: [] },
      'usr_test',
    );
    expect(product.ok).toBe(true);
    portal = await openPortal(browser, tc.center.url);
    page = portal.page;
  });
  afterAll(async () => {
    await browser?.close();
    await tc?.close();
    await aws?.close();
  });

  it('names who manages the licenses on the welcome page, then registers from the mailed link and sees the license', async () => {
    aws.tokens.set('portal-reg-1', BUYER);
    aws.entitlements.set(`${PRODUCT_CODE}/${BUYER.customerIdentifier}`, [
      { dimension: 'query_nodes', quantity: 2, expiresAt: Date.now() + 30 * 86_400_000 },
      { dimension: 'storage_nodes', quantity: 4, expiresAt: Date.now() + 30 * 86_400_000 },
    ]);
    const registered = await fetch(`${tc.center.url}/v1/marketplace/aws/register`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: new URLSearchParams({ 'x-amzn-marketplace-token': 'portal-reg-1' }).toString(),
    });
    expect(registered.status).toBe(303);
    // The redirect names the configured public address; the test center listens on another port.
    const welcome = new URL(registered.headers.get('location')!);
    expect(welcome.pathname).toBe('/marketplace/welcome');

    await page.goto(`/marketplace/welcome`);
    await page.getByRole('alert').filter({ hasText: 'This page needs the whole address AWS Marketplace opened' }).waitFor();

    await page.goto(`/marketplace/welcome${welcome.hash}`);
    await page.getByRole('heading', { name: 'Welcome' }).waitFor();
    expect(page.url()).toBe(`${tc.center.url}/marketplace/welcome`);
    await page.getByLabel('Email').fill('not an address');
    await page.getByLabel('Email').evaluate((input: HTMLInputElement) => (input.type = 'text'));
    await page.getByRole('button', { name: 'Mail the setup link' }).click();
    await page.getByText('The email must be an address like name@example.com.').waitFor();
    await page.getByLabel('Email').fill(EMAIL);
    expect({ serious: await axeCheck(page, 'marketplace-welcome') }).toEqual({ serious: [] });
    expect(await screenshots(page, 'marketplace-welcome')).toEqual({ overflow: 0 });
    await page.getByRole('button', { name: 'Mail the setup link' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `Check your mail for the link to set up your account. It was sent to ${EMAIL}.` })
      .waitFor();

    await page.goto(await mailedLink(tc, EMAIL, 'setup'));
    await page.getByLabel('Your name').fill('Marketplace Buyer');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByText('Check your mail for the activation link.').waitFor();
    await page.goto(await mailedLink(tc, EMAIL, 'activate'));
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    const card = page.getByRole('article', { name: 'GraphDB Cloud' });
    await card.waitFor();
    expect(await card.locator('dl').innerText()).toMatch(/Mode\s+Online[\s\S]*query\s*2[\s\S]*storage\s*4/);
    await card.getByRole('link', { name: /^View details/ }).click();
    expect(await page.getByRole('region', { name: 'Subscription' }).innerText()).toMatch(
      /Bought through\s+AWS Marketplace[\s\S]*Marketplace id\s+CUSTportal0001\/prodportal01/,
    );
    expect(consoleProblems(portal.console)).toEqual([]);
  });
});
