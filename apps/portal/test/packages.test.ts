/**
 * Installation packages in Chromium against a real License Center (issue 6 item 4): an admin uploads a file
 * through the Packages page (a second upload of the same version and a file over the limit refused in the API's
 * words), it is listed with its size and sha256; a customer with an active license sees it under Downloads and the
 * Download button yields the exact bytes through a signed link that needs no session and carries no key; a
 * suspended license shows the reason and no button; a support user sees the list without the upload form; the
 * admin withdraws it after a confirmation. Screenshots at desktop and 375 px and axe-core on both pages.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '../../../packages/center/test/support/http.js';
import { PASSWORD } from '../../../packages/center/test/support/http.js';
import { axeCheck, consoleProblems, launchBrowser, openPortal, screenshots } from './support/browser.js';
import type { PortalPage } from './support/browser.js';
import { logInWithLink, staffLoginLink } from './support/staff.js';
import { productFor, startTestCenter } from './support/vendor.js';
import type { TestCenter } from './support/vendor.js';

const CUSTOMER = 'ops@acme.example';
const FILENAME = 'graphdb-1.4.0-linux-x64.tar.gz';
/** A package of an odd size, so a size shown from the wrong count cannot match by chance. */
const BYTES = randomBytes(1_234_567);
const SHA256 = createHash('sha256').update(BYTES).digest('hex');
/** The upload limit of the test center: the package fits, TOO_BIG does not. */
const MAX_BYTES = 2_000_000;
const TOO_BIG = 'graphdb-1.5.0-linux-x64.tar.gz';
const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('installation packages in Chromium', () => {
  let tc: TestCenter;
  let browser: Browser;
  let staff: PortalPage;
  let page: Page;
  let admin: Client;
  let customer: Client;
  let activeId: string;
  let suspendedId: string;
  let folder: string;
  let file: string;

  const mainPage = async (on: Page, name: string) => {
    expect({ name, serious: await axeCheck(on, name) }).toEqual({ name, serious: [] });
    expect({ name, ...(await screenshots(on, name)) }).toEqual({ name, overflow: 0 });
  };

  /** A license of graphdb sold to the customer. */
  const sell = async (customerId: string, productId: string): Promise<string> => {
    const sold = await admin.post('/v1/staff/contracts', { customerId, productId, term: '1y', autoRenew: false, quantities: { query: 1 } });
    expect(sold.status).toBe(201);
    return sold.body.license.id as string;
  };

  beforeAll(async () => {
    [tc, browser] = await Promise.all([
      startTestCenter('sqlite', { TESSERA_PACKAGE_MAX_BYTES: String(MAX_BYTES) }, Date.now()),
      launchBrowser(),
    ]);
    admin = (await tc.staff('automation@vendor.example', 'admin')).client;
    const productId = await productFor(admin, 'graphdb', 'GraphDB Enterprise');
    const buyer = await tc.customer(CUSTOMER);
    customer = buyer.client;
    activeId = await sell(buyer.customerId, productId);
    suspendedId = await sell(buyer.customerId, productId);
    const suspended = await admin.post(`/v1/staff/licenses/${suspendedId}/suspend`, { reason: 'Invoice unpaid' });
    expect(suspended.status).toBe(200);

    folder = mkdtempSync(join(tmpdir(), 'tessera-packages-'));
    file = join(folder, FILENAME);
    writeFileSync(file, BYTES);
    writeFileSync(join(folder, TOO_BIG), randomBytes(MAX_BYTES + 500_000));
    staff = await openPortal(browser, tc.center.url);
    page = staff.page;
    await logInWithLink(page, (await staffLoginLink(tc, 'boss@vendor.example', 'admin')).url);
  });
  afterAll(async () => {
    await browser?.close();
    await tc?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('uploads a file through the form; it is listed with its size and full sha256, a second upload refused in the API’s words', async () => {
    await page.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Packages' }).click();
    await page.getByRole('heading', { name: 'Packages', level: 1 }).waitFor();
    const form = page.getByRole('form', { name: 'Upload a package' });
    await form.getByLabel('Product').selectOption('graphdb');
    await form.getByLabel('Version').fill('1.4.0');
    await form.getByLabel('Platform').fill('linux-x64');
    // Without a file the form says so before anything is sent.
    await form.getByRole('button', { name: 'Upload package' }).click();
    await form.getByRole('alert').filter({ hasText: 'Choose the file to upload.' }).waitFor();
    await form.getByLabel('File').setInputFiles(file);
    await form.getByRole('button', { name: 'Upload package' }).click();
    await form
      .getByRole('status')
      .filter({ hasText: `${FILENAME} is uploaded as graphdb 1.4.0 · linux-x64` })
      .waitFor();

    const list = page.getByRole('list', { name: 'Packages of GraphDB Enterprise' });
    const item = list.getByRole('listitem').filter({ hasText: FILENAME });
    await item.waitFor();
    expect(await item.getByRole('heading', { level: 3 }).innerText()).toBe('1.4.0 · linux-x64');
    expect(await item.innerText()).toContain('1.2 MB (1,234,567 bytes)');
    expect(await item.locator('code.sha256').innerText()).toBe(SHA256);
    expect(await item.innerText()).toMatch(/Uploaded\s+\d{4}-\d\d-\d\d \d\d:\d\d by boss@vendor\.example/);
    const listed = (await admin.get('/v1/staff/packages?product=graphdb')).body.items as {
      filename: string;
      size: number;
      sha256: string;
    }[];
    expect(listed.map(({ filename, size, sha256 }) => ({ filename, size, sha256 }))).toEqual([
      { filename: FILENAME, size: BYTES.length, sha256: SHA256 },
    ]);

    // The same product, version and platform again: refused, in the words the API gives for that request.
    await form.getByLabel('Version').fill('1.4.0');
    await form.getByLabel('File').setInputFiles(file);
    await form.getByRole('button', { name: 'Upload package' }).click();
    const refusal = form.getByRole('alert');
    await refusal.waitFor();
    const query = new URLSearchParams({ product: 'graphdb', version: '1.4.0', platform: 'linux-x64', filename: FILENAME });
    const direct = await fetch(`${tc.center.url}/v1/staff/packages?${query.toString()}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.bearer}`, 'content-type': 'application/octet-stream' },
      body: BYTES,
    });
    const answer = (await direct.json()) as { error: { code: string; message: string } };
    expect({ status: direct.status, code: answer.error.code }).toEqual({ status: 409, code: 'PACKAGE_EXISTS' });
    expect(await refusal.innerText()).toBe(answer.error.message);
    expect(await form.getByLabel('Version').inputValue()).toBe('1.4.0');
    expect(await list.getByRole('listitem').count()).toBe(1);
    await mainPage(page, 'staff-packages');
  });

  it('a file over the limit is refused in the API’s words, and nothing is listed for it', async () => {
    const form = page.getByRole('form', { name: 'Upload a package' });
    await form.getByLabel('Version').fill('1.5.0');
    await form.getByLabel('File').setInputFiles(join(folder, TOO_BIG));
    await form.getByRole('button', { name: 'Upload package' }).click();
    await form
      .getByRole('alert')
      .filter({ hasText: `A package may be at most ${MAX_BYTES} bytes` })
      .waitFor();
    await form.getByRole('button', { name: 'Upload package' }).waitFor();
    expect(await form.getByRole('button', { name: 'Upload package' }).isEnabled()).toBe(true);
    const listed = (await admin.get('/v1/staff/packages')).body.items as { filename: string }[];
    expect(listed.map((item) => item.filename)).toEqual([FILENAME]);
  });

  it('a support user sees the packages but no upload form and no withdraw', async () => {
    const support = await openPortal(browser, tc.center.url);
    const on = support.page;
    await logInWithLink(on, (await staffLoginLink(tc, 'sue@vendor.example', 'support')).url);
    await on.getByRole('navigation', { name: 'Staff' }).getByRole('link', { name: 'Packages' }).click();
    const item = on.getByRole('list', { name: 'Packages of GraphDB Enterprise' }).getByRole('listitem').filter({ hasText: FILENAME });
    await item.waitFor();
    expect(await item.locator('code.sha256').innerText()).toBe(SHA256);
    expect(await on.getByRole('form', { name: 'Upload a package' }).count()).toBe(0);
    expect(await on.getByRole('button', { name: /^Withdraw/ }).count()).toBe(0);
    expect(consoleProblems(support.console)).toEqual([]);
    await support.context.close();
  });

  describe('the customer', () => {
    let portal: PortalPage;
    let on: Page;

    beforeAll(async () => {
      portal = await openPortal(browser, tc.center.url);
      on = portal.page;
      await on.goto('/login');
      await on.getByLabel('Email').fill(CUSTOMER);
      await on.getByLabel('Password').fill(PASSWORD);
      await on.getByRole('button', { name: 'Log in' }).click();
      await on.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
    });
    afterAll(async () => {
      await portal?.context.close();
    });

    it('with an active license sees the package under Downloads and downloads the exact bytes through a signed link', async () => {
      await on.goto(`/licenses/${activeId}`);
      const downloads = on.getByRole('region', { name: 'Downloads' });
      const item = downloads.getByRole('listitem').filter({ hasText: FILENAME });
      await item.waitFor();
      expect(await item.innerText()).toContain('1.2 MB (1,234,567 bytes)');
      expect(await item.locator('code.sha256').innerText()).toBe(SHA256);
      expect(await downloads.innerText()).toContain('sha256sum <file>');
      await mainPage(on, 'details-downloads');

      const [download] = await Promise.all([
        on.waitForEvent('download'),
        item.getByRole('button', { name: `Download ${FILENAME}` }).click(),
      ]);
      expect(download.suggestedFilename()).toBe(FILENAME);
      expect(sha256Of(readFileSync(await download.path()))).toBe(SHA256);
      await downloads
        .getByRole('status')
        .filter({ hasText: `The download of ${FILENAME} has started.` })
        .waitFor();
      // The signed link is not a key and is kept nowhere.
      const key = (await customer.get(`/v1/licenses/${activeId}/key`)).body.key as string;
      expect(download.url()).not.toContain(key);
      expect(await on.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
      expect(new URL(on.url()).pathname).toBe(`/licenses/${activeId}`);

      // The link works without a session: a fresh one fetched with no cookie at all.
      const packageId = ((await customer.get(`/v1/licenses/${activeId}/packages`)).body.items as { id: string }[])[0]!.id;
      const link = await customer.post(`/v1/licenses/${activeId}/packages/${packageId}/link`);
      expect(link.status).toBe(200);
      // The center writes links with its public address (port 0 in tests): the path and signature are what count.
      const signed = new URL(link.body.url as string);
      const fetched = await fetch(`${tc.center.url}${signed.pathname}${signed.search}`);
      expect(fetched.status).toBe(200);
      expect(sha256Of(Buffer.from(await fetched.arrayBuffer()))).toBe(SHA256);
    });

    it('with a suspended license sees the reason instead of a Download button', async () => {
      const answer = await customer.get(`/v1/licenses/${suspendedId}/packages`);
      expect(answer.body.downloadable).toBe(false);
      const reason = answer.body.reason.message as string;
      await on.goto(`/licenses/${suspendedId}`);
      const downloads = on.getByRole('region', { name: 'Downloads' });
      await downloads.getByText(reason).waitFor();
      await downloads.getByRole('listitem').filter({ hasText: FILENAME }).waitFor();
      expect(await downloads.getByRole('button', { name: /^Download/ }).count()).toBe(0);
      expect(consoleProblems(portal.console)).toEqual([]);
    });
  });

  it('the admin withdraws the package after confirming; Cancel keeps it', async () => {
    await page.goto('/staff/packages');
    const list = page.getByRole('list', { name: 'Packages of GraphDB Enterprise' });
    const item = list.getByRole('listitem').filter({ hasText: FILENAME });
    await item.getByRole('button', { name: `Withdraw ${FILENAME}` }).click();
    const confirm = item.getByRole('group', { name: `Withdraw ${FILENAME}` });
    await confirm.getByText(`Withdraw ${FILENAME}? Customers can no longer download it.`).waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect(await confirm.count()).toBe(0);
    expect((await admin.get('/v1/staff/packages')).body.items).toHaveLength(1);

    await item.getByRole('button', { name: `Withdraw ${FILENAME}` }).click();
    await confirm.getByRole('button', { name: 'Withdraw the package' }).click();
    await page.getByText('No packages yet.').waitFor();
    expect((await admin.get('/v1/staff/packages')).body.items).toEqual([]);
    expect((await customer.get(`/v1/licenses/${activeId}/packages`)).body.items).toEqual([]);
  });

  it('threw nothing and broke no content policy in the admin’s page', () => {
    expect(consoleProblems(staff.console)).toEqual([]);
  });
});
