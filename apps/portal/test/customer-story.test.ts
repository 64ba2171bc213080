/**
 * The customer story, end to end in Chromium against a real License Center with the built portal: the setup mail
 * → register → activate → log in → bind the LMID with the quick-bind wizard (a typo in the check character caught
 * as typed) → copy the offline key and verify it with core → the details with the features and limits the vendor
 * changed, the history in words → switch to online, the LM syncs, usage shows → ask
 * for a renewal → log out. Each main page is screenshotted at desktop and 375 px and checked with axe-core.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSyncRequest, checkLicenseKey, SYNC_PATH } from '@tessera/core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeLm } from '../../../packages/center/test/support/licensing.js';
import { axeCheck, consoleProblems, launchBrowser, openPortal, screenshots } from './support/browser.js';
import type { PortalPage } from './support/browser.js';
import { mailedLink, productFor, sellAndInvite, startTestCenter, trustBundleOf } from './support/vendor.js';
import type { TestCenter } from './support/vendor.js';
import type { Client } from '../../../packages/center/test/support/http.js';

/** A tarball and a .deb of the License Manager as npm run package names them, published as the CLI publishes them. */
async function publishLmPackages(tc: TestCenter) {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-portal-lm-'));
  try {
    const files = {
      tarball: { name: 'tessera-lm-0.1.0-linux-x64.tar.gz', bytes: gzipSync(randomBytes(3000)) },
      deb: { name: 'tessera-lm_0.1.0_amd64.deb', bytes: Buffer.concat([Buffer.from('!<arch>\n'), randomBytes(3000)]) },
    };
    for (const file of Object.values(files)) writeFileSync(join(dir, file.name), file.bytes);
    const published = await tc.center.services.lmPackages.publish([join(dir, files.tarball.name), join(dir, files.deb.name)], 'usr_test');
    if (!published.ok) throw new Error(published.detail);
    const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
    return {
      tarball: { name: files.tarball.name, sha256: sha256(files.tarball.bytes) },
      deb: { name: files.deb.name, sha256: sha256(files.deb.bytes) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const EMAIL = 'ada@acme.example';
const PASSWORD = 'Lovelace-1815!';
const LM = makeLm();
/** The LMID with its check character (the last one) changed: a typo the check must catch. */
const TYPO = LM.lmid.slice(0, -1) + (LM.lmid.endsWith('0') ? '1' : '0');

describe('the customer story in Chromium', () => {
  let tc: TestCenter;
  let browser: Browser;
  let portal: PortalPage;
  let page: Page;
  let admin: Client;
  let licenseId: string;
  let lmFiles: Awaited<ReturnType<typeof publishLmPackages>>;
  const keysSeen: string[] = [];

  /** Both screenshots and the accessibility check of a main page: no serious violations, nothing wider than a phone. */
  const mainPage = async (name: string) => {
    expect({ name, serious: await axeCheck(page, name) }).toEqual({ name, serious: [] });
    expect({ name, ...(await screenshots(page, name)) }).toEqual({ name, overflow: 0 });
  };

  beforeAll(async () => {
    // The center's clock at the real time: the browser drops a session cookie whose expiry has passed by its own clock.
    [tc, browser] = await Promise.all([startTestCenter('sqlite', {}, Date.now()), launchBrowser()]);
    admin = (await tc.staff('sales-admin@vendor.example', 'admin')).client;
    lmFiles = await publishLmPackages(tc);
    const productId = await productFor(admin, 'graphdb', 'GraphDB Enterprise');
    ({ licenseId } = await sellAndInvite(tc, admin, productId, 'Acme Data', EMAIL, undefined, {
      limits: { shards: 4 },
      features: ['backup'],
    }));
    portal = await openPortal(browser, tc.center.url);
    page = portal.page;
  });
  afterAll(async () => {
    await browser?.close();
    await tc?.close();
  });

  it('registers from the setup mail, with the password rule shown as it is typed and the server’s words on a refusal', async () => {
    await page.goto(await mailedLink(tc, EMAIL, 'setup'));
    await page.getByRole('heading', { name: 'Set up your account' }).waitFor();
    // The token left the address bar as soon as the page read it.
    expect(page.url()).toBe(`${tc.center.url}/setup`);

    await page.getByLabel('Your name').fill('Ada Lovelace');
    const password = page.getByLabel('Password', { exact: true });
    await password.fill('short1');
    const rule = page.getByRole('list', { name: 'Password rule' });
    await expect
      .poll(() => rule.locator('li.met').allTextContents())
      .toEqual([expect.stringContaining('a letter'), expect.stringContaining('a digit')]);
    await page.getByLabel('Repeat the password').fill('short1');
    await page.getByRole('button', { name: 'Create account' }).click();
    // The server refuses in its own words, next to the password; nothing typed is lost.
    const refusal = page.locator('.field-error', { hasText: 'The password is 6 characters long' });
    await refusal.waitFor();
    expect(await refusal.textContent()).toMatch(/use 12 to 30 characters with letters, digits and special characters/);
    expect(await page.getByLabel('Your name').inputValue()).toBe('Ada Lovelace');
    expect(await password.getAttribute('aria-invalid')).toBe('true');

    await password.fill(PASSWORD);
    await expect.poll(() => rule.locator('li.unmet').count()).toBe(0);
    await expect.poll(() => refusal.count()).toBe(0);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await mainPage('register');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('status').filter({ hasText: 'Check your mail for the activation link.' }).waitFor();
  });

  it('activates from the activation mail and lands on the login page', async () => {
    await page.goto(await mailedLink(tc, EMAIL, 'activate'));
    await page.getByText('Your account is active. Log in with your email and password.').waitFor();
    expect(page.url()).toBe(`${tc.center.url}/login`);
  });

  it('logs in: a wrong password is refused in the API’s words and the email stays; the right one opens the licenses', async () => {
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill('not-the-password-1!');
    await mainPage('login');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The email or password is wrong, or the account is not activated yet.' }).waitFor();
    expect(await page.getByLabel('Email').inputValue()).toBe(EMAIL);

    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'Licenses', level: 1 }).waitFor();
    expect(page.url()).toBe(`${tc.center.url}/`);
  });

  it('lists the license as a card: product, "not bound", expiry, status and nodes per role, with details and renew', async () => {
    const card = page.getByRole('article', { name: 'GraphDB Enterprise' });
    await card.waitFor();
    const facts = await card.locator('dl').innerText();
    expect(facts).toMatch(/LMID\s+not bound/);
    expect(facts).toMatch(/Expires\s+\d{4}-\d{2}-\d{2} \(in 36[4-6] days\)/);
    expect(facts).toMatch(/query\s*3/);
    expect(facts).toMatch(/storage\s*5/);
    expect(facts).toMatch(/Limits\s+shards\s*4\s+Features\s+backup\s+License/);
    // The card says at its head that no License Manager holds it yet.
    expect(await card.locator('.badge').allTextContents()).toEqual(['Active', 'Not bound']);
    await card.getByRole('link', { name: /^View details/ }).waitFor();
    await card.getByRole('button', { name: 'Renew' }).waitFor();
    await page.getByRole('note').filter({ hasText: 'Your GraphDB Enterprise license is not bound to a License Manager yet.' }).waitFor();
    await mainPage('licenses');
  });

  it('binds with the wizard: check → install (the real commands) → LMID with a typo caught as typed → offline → BIND', async () => {
    await page.getByRole('link', { name: 'Bind GraphDB Enterprise' }).click();
    await page.getByRole('heading', { name: 'Step 1 of 5: Check the license' }).waitFor();
    expect(page.url()).toBe(`${tc.center.url}/licenses/${licenseId}/bind`);
    expect(await page.locator('.step dl').innerText()).toMatch(/query 3 · storage 5/);
    await mainPage('wizard-1-check');

    await page.getByRole('button', { name: 'Next: install the License Manager' }).click();
    const install = page.getByRole('heading', { name: 'Step 2 of 5: Install the License Manager' });
    await install.waitFor();
    expect(await install.evaluate((heading) => heading === document.activeElement)).toBe(true);
    // The License Manager's packages this License Center serves, for this browser's system (Linux x86-64), with
    // their sha256 and the exact commands, whose download links fetch those very files.
    await page.getByRole('heading', { name: '.deb package: Debian, Ubuntu' }).waitFor();
    await page.getByRole('heading', { name: 'Tarball: any Linux (nothing else needed)' }).waitFor();
    await expect.poll(() => page.locator('pre.commands').count()).toBe(2);
    const [debLines, tarballLines] = (await page.locator('pre.commands').allInnerTexts()).map((text) => text.split('\n'));
    for (const [lines, file] of [
      [debLines!, lmFiles.deb],
      [tarballLines!, lmFiles.tarball],
    ] as const) {
      expect(await page.locator('.lm-install').innerText()).toContain(file.sha256);
      expect(lines).toContain(`echo '${file.sha256}  ${file.name}' | sha256sum -c -`);
      expect(lines).toContain(`curl -fo /etc/tessera-lm/trust-bundle.json ${tc.center.url}/v1/trust-bundle`);
      expect(lines.at(-1)).toBe('tessera-lm --config /etc/tessera-lm/config.yaml info');
      expect(lines.filter((line) => line.includes('npx'))).toEqual([]);
      const url = new RegExp(
        `^curl -fLo ${file.name.replaceAll('.', '\\.')} '(${tc.center.url}/downloads/pkg_\\w+\\?expires=\\d+&sig=[\\w-]+)'$`,
      );
      const link = lines.map((line) => url.exec(line)?.[1]).find(Boolean);
      const downloaded = Buffer.from(await (await fetch(link!)).arrayBuffer());
      expect(createHash('sha256').update(downloaded).digest('hex')).toBe(file.sha256);
    }
    expect(debLines).toContain(`dpkg -i ${lmFiles.deb.name}`);
    expect(tarballLines).toContain(`tar -xzf ${lmFiles.tarball.name} -C /opt`);
    await mainPage('wizard-2-install');

    await page.getByRole('button', { name: 'Next: enter the LMID' }).click();
    const lmid = page.getByLabel('LMID');
    await lmid.waitFor();
    // Typed as a person does: partway, it only counts characters; the wrong check character is caught at once.
    await lmid.pressSequentially(TYPO.slice(0, 7));
    await page.getByText('6 of 16 characters.').waitFor();
    expect(await lmid.getAttribute('aria-invalid')).toBeNull();
    await lmid.pressSequentially(TYPO.slice(7));
    const typo = page.getByRole('alert').filter({ hasText: 'This LMID has a typo: its check character does not match.' });
    await typo.waitFor();
    expect(await lmid.getAttribute('aria-invalid')).toBe('true');
    await mainPage('wizard-3-lmid-typo');
    await page.getByRole('button', { name: 'Next: online or offline' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Step 3 of 5: Enter the LMID' }).count()).toBe(1);

    // Lower case without dashes is forgiven, as `tessera-lm info` readers type it.
    await lmid.fill(LM.lmid.replaceAll('-', '').toLowerCase());
    await page.getByText(`The check character matches: ${LM.lmid}.`).waitFor();
    await mainPage('wizard-3-lmid');
    await page.getByRole('button', { name: 'Next: online or offline' }).click();

    await page.getByRole('heading', { name: 'Step 4 of 5: Online or offline' }).waitFor();
    await page.getByRole('radio', { name: /^Offline/ }).check();
    expect(await page.getByRole('group', { name: 'How will the License Manager get its license?' }).innerText()).toMatch(
      /Choose online if the License Manager can reach this License Center; offline if it cannot\./,
    );
    await mainPage('wizard-4-mode');
    await page.getByRole('button', { name: 'Bind', exact: true }).click();
    await page.getByRole('heading', { name: 'Step 5 of 5: Copy the key' }).waitFor();
    await page.getByText(`The license is bound to ${LM.lmid}, in offline mode.`).waitFor();
    const license = await admin.get(`/v1/staff/licenses/${licenseId}`);
    expect(license.body).toMatchObject({ basic: { lmid: LM.lmid }, key: { mode: 'offline' } });
  });

  it('copies the offline key, which core accepts for this LMID and product; it is never in the URL, storage or console', async () => {
    await page.getByRole('button', { name: 'Copy offline key' }).click();
    await page.getByRole('status').filter({ hasText: 'The offline key is copied to the clipboard.' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const trust = trustBundleOf(await (await fetch(`${tc.center.url}/v1/trust-bundle`)).text());
    if (!trust.ok) throw new Error(trust.detail);
    const verdict = checkLicenseKey(copied, trust.value, { now: Date.now(), lmid: LM.lmid, product: 'graphdb' });
    expect(verdict).toMatchObject({ valid: true, code: 'VALID', status: 'Normal' });
    expect(verdict.license?.nodes).toEqual({ query: 3, storage: 5 });
    keysSeen.push(copied);

    await page.getByRole('button', { name: 'Show offline key' }).click();
    expect(await page.getByLabel('The offline key').inputValue()).toBe(copied);
    await mainPage('wizard-5-key');
    await page.getByRole('button', { name: 'Hide offline key' }).click();
    expect(await page.evaluate(() => localStorage.length + sessionStorage.length)).toBe(0);
  });

  it('shows the details and switches the License Manager to online; its sync then shows as usage', async () => {
    // The vendor has meanwhile sold one more feature and raised the limit: the details and the history say so.
    const sold = await admin.put(`/v1/staff/licenses/${licenseId}/features-limits`, {
      features: ['backup', 'federation'],
      limits: { shards: 6 },
    });
    expect(sold.status).toBe(200);
    await page.getByRole('link', { name: 'See the license details' }).click();
    await page.getByRole('heading', { name: 'GraphDB Enterprise license', level: 1 }).waitFor();
    const basic = page.getByRole('region', { name: 'Basic Info' });
    expect(await basic.innerText()).toContain(LM.lmid);
    expect(await page.getByRole('region', { name: 'Purchased Resources' }).innerText()).toMatch(
      /query nodes\s+3\s+storage nodes\s+5\s+shards limit\s+6\s+Features\s+backup, federation/,
    );
    expect(await page.getByRole('region', { name: 'History' }).innerText()).toMatch(
      /Features and limits changed\s+serial \d+\s+limit shards 4 → 6 · feature federation added/,
    );
    // The outage grace, read-only, with what it means for the customer.
    expect(await page.getByRole('region', { name: 'Purchased Resources' }).innerText()).toMatch(
      /Outage grace\s+72 hours\s+How long your nodes keep running when your License Manager is unreachable; 0 = they stop at the end of their lease\./,
    );
    expect(await page.getByRole('region', { name: 'Subscription' }).innerText()).toMatch(/Term\s+1 year[\s\S]*Auto-renew\s+yes/);
    const keySection = page.getByRole('region', { name: 'License Key' });
    expect(await keySection.innerText()).toMatch(/Mode\s+Offline/);
    await mainPage('details-offline');

    await keySection.getByRole('button', { name: 'Edit License Manager' }).click();
    await keySection.getByRole('radio', { name: /^Online/ }).check();
    await keySection.getByRole('button', { name: 'Switch to online' }).click();
    await keySection.getByText('The license is in online mode').waitFor();
    expect(await keySection.innerText()).toMatch(/Mode\s+Online[\s\S]*Online key\s+\*{5}-\*{5}-\*{5}-\*{5}-[0-9A-Z]{5}/);
    expect((await admin.get(`/v1/staff/licenses/${licenseId}`)).body).toMatchObject({ key: { mode: 'online' } });

    await keySection.getByRole('button', { name: 'Copy online key' }).click();
    await keySection.getByRole('status').filter({ hasText: 'The online key is copied to the clipboard.' }).waitFor();
    const onlineKey = await page.evaluate(() => navigator.clipboard.readText());
    expect(onlineKey).toMatch(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/);
    expect(await keySection.innerText()).toContain(onlineKey.slice(-5));
    keysSeen.push(onlineKey);
    const usage = page.getByRole('region', { name: 'Usage' });
    expect(await usage.innerText()).toContain('The License Manager has not synced yet.');

    // The License Manager loads the online key and syncs, reporting its seats in use.
    const request = buildSyncRequest(
      {
        onlineKey,
        lmid: LM.lmid,
        lmPublicKeyRaw: LM.lmPublicKeyRaw,
        hostDigest: LM.hostDigest,
        known: null,
        usage: { query: 2, storage: 4 },
        lmVersion: '0.1.0',
        host: { hostname: 'graph-01', os: 'linux x64' },
      },
      LM.privateKey,
    );
    const synced = await fetch(`${tc.center.url}${SYNC_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request }),
    });
    expect(synced.status).toBe(200);
    await page.reload();
    await usage.getByRole('table').waitFor();
    expect(await usage.getByRole('row').allInnerTexts()).toEqual([
      expect.stringMatching(/Role\s+In use\s+Bought/),
      expect.stringMatching(/query\s+2\s+3/),
      expect.stringMatching(/storage\s+4\s+5/),
    ]);
    expect(await usage.innerText()).toMatch(/Last sync\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2}[\s\S]*graph-01 \(linux x64\)/);
    expect(await page.getByRole('region', { name: 'History' }).innerText()).toMatch(
      /Mode changed\s+serial \d+\s+mode offline → online[\s\S]*Bound to a License Manager\s+serial \d+\s+bound to License Manager/,
    );
    await mainPage('details-online');
  });

  it('asks for a renewal: the request goes to the vendor and the page says so', async () => {
    const subscription = page.getByRole('region', { name: 'Subscription' });
    await subscription.getByRole('button', { name: 'Renew' }).click();
    await subscription.getByRole('radio', { name: '1 month' }).check();
    await mainPage('renew');
    await subscription.getByRole('button', { name: 'Request renewal' }).click();
    await subscription.getByRole('status').filter({ hasText: 'Your request is with the vendor’s sales team' }).waitFor();
    expect(await subscription.getByRole('alert').count()).toBe(0);
    // Asked once: the button cannot send it again by accident, and says it was sent.
    const sent = subscription.getByRole('button', { name: 'Renewal requested' });
    expect(await sent.isDisabled()).toBe(true);
    expect(await subscription.getByRole('radio', { name: '1 year' }).isDisabled()).toBe(true);
    await mainPage('renew-requested');
    const open = await admin.get('/v1/staff/renewal-requests');
    expect(open.body.items).toEqual([expect.objectContaining({ licenseId, months: 1 })]);
  });

  it('logs out; the licenses then ask for a login and come back to where they were', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByText('You are logged out.').waitFor();
    await page.goto(`/licenses/${licenseId}`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/licenses/${licenseId}`);
    await page.getByLabel('Email').fill(EMAIL);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'GraphDB Enterprise license' }).waitFor();
  });

  it('never put a key in the console, and the page broke no content policy and threw nothing', () => {
    expect(keysSeen).toHaveLength(2);
    for (const key of keysSeen) expect(portal.console.filter((line) => line.includes(key.slice(0, 40)))).toEqual([]);
    expect(consoleProblems(portal.console)).toEqual([]);
  });
});
