/**
 * The console page as served, and as Chromium runs it against a real License Manager: no other site may frame it
 * (it takes the admin token), it runs under a policy with no inline script (its module comes from the LM), and its
 * forms load keys and make request codes. The page's timers run on a clock the test moves (page.clock).
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRequestCode } from '@tessera/core';
import type { Browser } from 'playwright-core';
import type { Daemon } from '../src/daemon.js';
import { consoleProblems, launchBrowser, openConsole } from './support/browser.js';
import type { ConsolePage } from './support/browser.js';
import { call, licenseFor, makeWorld, start } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let lm: Daemon;
let browser: Browser;
const opened: ConsolePage[] = [];
beforeAll(async () => {
  world = makeWorld();
  lm = await start(world);
  browser = await launchBrowser();
}, 30_000);
afterAll(async () => {
  for (const page of opened) await page.context.close();
  await browser?.close();
  await lm.close();
  world.cleanup();
});

async function open(): Promise<ConsolePage> {
  const page = await openConsole(browser, `${lm.url}/`);
  opened.push(page);
  return page;
}

describe('GET /', () => {
  it("refuses to be framed by any site: CSP frame-ancestors 'none' and X-Frame-Options DENY", async () => {
    const { status, headers } = await call(lm, 'GET', '/');
    expect(status).toBe(200);
    const policy = (headers.get('content-security-policy') ?? '').split(';').map((part) => part.trim());
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("script-src 'self'");
    expect(headers.get('x-frame-options')).toBe('DENY');
  });

  it('offers the load form for clock resets and trust bundles too, and force only for expired or not yet valid licenses', async () => {
    const page = String((await call(lm, 'GET', '/')).body);
    expect(page).toContain('License key (online key or offline key), clock reset or trust bundle');
    expect(page).toContain('Load a license even if it is expired or not yet valid (force)');
    expect(page).not.toMatch(/older than the loaded one/);
  });
});

describe('GET /console/*.js', () => {
  it('serves the compiled modules as JavaScript, the browser module importing the forms module beside it', async () => {
    const browserJs = await call(lm, 'GET', '/console/browser.js');
    const formsJs = await call(lm, 'GET', '/console/forms.js');
    for (const script of [browserJs, formsJs]) {
      expect(script.status).toBe(200);
      expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect(script.headers.get('x-content-type-options')).toBe('nosniff');
      expect(script.body).not.toMatch(/sourceMappingURL/);
    }
    expect(browserJs.body).toMatch(/^import \{ apiError, parseMonths, parseNodes \} from '\.\/forms\.js';$/m);
    expect(formsJs.body).toMatch(/^export function parseNodes\(/m);
  });

  it('never puts the key or the token in a URL, and writes nothing to the console', async () => {
    for (const path of ['/console/browser.js', '/console/forms.js']) {
      const text = String((await call(lm, 'GET', path)).body);
      expect(text, path).not.toMatch(/[?&](key|token)=|location\.search|encodeURIComponent|console\./);
    }
  });
});

describe('the console page in Chromium', () => {
  const token = () => lm.services.adminToken;

  it('runs its module under its policy: no violation, no script error, and the forms answer', async () => {
    const { page, console } = await open();
    await page.click('#load-form button[type=submit]');
    await page.locator('#load-error').waitFor({ state: 'visible' });
    expect(await page.locator('#load-error').textContent()).toBe('The license key is required.');
    expect(consoleProblems(console)).toEqual([]);
  });

  it('does not send a load without a key, and says what is missing', async () => {
    const { page, sent } = await open();
    await page.fill('#load-token', token());
    await page.click('#load-form button[type=submit]');
    await page.locator('#load-error').waitFor({ state: 'visible' });
    expect(await page.locator('#load-error').textContent()).toBe('The license key is required.');
    expect(sent).toEqual([]);
  });

  it('shows an API error next to the load form and keeps what the user typed; the key and token go in the body and header', async () => {
    const opened = await open();
    const { page, sent, console } = opened;
    const key = 'MM90U-9H4Q0-W093M-ABCDE-FGHIJ';
    await page.fill('#load-key', key);
    await page.fill('#load-token', 'wrong-token');
    await page.click('#load-form button[type=submit]');
    await page.locator('#load-error').waitFor({ state: 'visible' });
    expect(await page.locator('#load-error').textContent()).toBe('UNAUTHORIZED: The admin token is wrong.');
    expect(sent).toEqual([{ method: 'POST', path: '/v1/admin/load', authorization: 'Bearer wrong-token', body: { key, force: false } }]);
    expect(await page.locator('#load-key').inputValue()).toBe(key);
    expect(await page.locator('#load-token').inputValue()).toBe('wrong-token');
    expect(await page.locator('#request-error').isHidden()).toBe(true);
    expect(await page.locator('#load-form button[type=submit]').isEnabled()).toBe(true);
    // A refusal schedules no reload: the page's time moves past the success path's 1.5 s and nothing loads.
    await page.clock.runFor(5_000);
    expect(opened.loads).toBe(1);
    expect(consoleProblems(console)).toEqual([]);
  });

  it('makes a request code the vendor can read and shows it in the read-only box', async () => {
    const { page, sent } = await open();
    await page.fill('#request-name', 'Ann Admin');
    await page.fill('#request-email', 'ann@customer.example');
    await page.fill('#request-phone', '+1 555 0100');
    await page.fill('#request-nodes', 'query=3,storage=5');
    await page.fill('#request-months', '6');
    await page.fill('#request-token', token());
    await page.click('#request-form button[type=submit]');
    await page.locator('#request-result').waitFor({ state: 'visible' });
    expect(sent).toEqual([
      {
        method: 'POST',
        path: '/v1/admin/request-code',
        authorization: `Bearer ${token()}`,
        body: { name: 'Ann Admin', email: 'ann@customer.example', phone: '+1 555 0100', nodes: { query: 3, storage: 5 }, months: 6 },
      },
    ]);
    const code = readRequestCode(await page.locator('#request-code').inputValue());
    expect(code.ok && code.value).toMatchObject({
      lmid: lm.lmid,
      contact: { name: 'Ann Admin' },
      nodes: { query: 3, storage: 5 },
      months: 6,
    });
    expect(await page.locator('#request-error').isHidden()).toBe(true);
  });

  it('shows a bad nodes field next to the request form without sending or clearing anything', async () => {
    const { page, sent } = await open();
    await page.fill('#request-name', 'Ann Admin');
    await page.fill('#request-email', 'ann@customer.example');
    await page.fill('#request-nodes', 'query=three');
    await page.fill('#request-token', token());
    await page.click('#request-form button[type=submit]');
    await page.locator('#request-error').waitFor({ state: 'visible' });
    expect(await page.locator('#request-error').textContent()).toMatch(/"query=three" is not role=number/);
    expect(sent).toEqual([]);
    expect(await page.locator('#request-nodes').inputValue()).toBe('query=three');
    expect(await page.locator('#load-error').isHidden()).toBe(true);
  });

  it('shows a validation error from the API next to the request form', async () => {
    const { page } = await open();
    const email = `${'a'.repeat(250)}@customer.example`; // longer than the API's 254 characters
    await page.fill('#request-name', 'Ann Admin');
    await page.fill('#request-email', email);
    await page.fill('#request-nodes', 'query=3');
    await page.fill('#request-token', token());
    await page.click('#request-form button[type=submit]');
    await page.locator('#request-error').waitFor({ state: 'visible' });
    expect(await page.locator('#request-error').textContent()).toMatch(/^BAD_REQUEST: .*email/);
    expect(await page.locator('#request-result').isHidden()).toBe(true);
    expect(await page.locator('#request-email').inputValue()).toBe(email);
  });

  it('reports a loaded key and reloads the page when its time has come, showing the new status', async () => {
    const console = await open();
    const { page, sent } = console;
    expect(await page.locator('#status').textContent()).toBe('NotExist');
    const key = licenseFor(world, lm.lmid);
    await page.fill('#load-key', key);
    await page.fill('#load-token', token());
    await page.check('#load-force');
    await page.click('#load-form button[type=submit]');
    await page.locator('#load-result').waitFor({ state: 'visible' });
    expect(sent[0]!.body).toEqual({ key, force: true });
    expect(await page.locator('#load-error').isHidden()).toBe(true);
    expect(await page.locator('#load-result').textContent()).toMatch(/^Loaded\. Status: Normal \(VALID\)\. .* Reloading…$/);
    expect(console.loads).toBe(1);
    const reloaded = page.waitForEvent('load');
    await page.clock.runFor(1_500);
    await reloaded;
    expect(console.loads).toBe(2);
    expect(await page.locator('#status').textContent()).toBe('Normal');
    expect(consoleProblems(console.console)).toEqual([]);
  });
});

describe('the name an LM goes by', () => {
  it('is "tessera-lm <name>" in the console title and header', async () => {
    const page = String((await call(lm, 'GET', '/')).body);
    expect(page).toMatch(/<title>[A-Za-z]+ · tessera-lm lm-test<\/title>/);
    expect(page).toContain('<p class="lm-name">tessera-lm <strong>lm-test</strong>');
  });

  it('says tessera-lm once when the LM keeps the default name, in the log line and the console', async () => {
    const named = makeWorld();
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line).msg as string) });
    const other = await start({ ...named, config: { ...named.config, name: 'tessera-lm' } }, { logger });
    try {
      expect(lines.find((line) => line.includes('serving on'))).toMatch(/^tessera-lm serving on 127\.0\.0\.1:\d+, LMID /);
      const page = String((await call(other, 'GET', '/')).body);
      expect(page).toMatch(/<title>NotExist · tessera-lm<\/title>/);
      expect(page).toContain('<p class="lm-name"><strong>tessera-lm</strong> <span class="muted">v');
      expect(page).not.toMatch(/tessera-lm\s*(<[^>]+>\s*)*tessera-lm/);
    } finally {
      await other.close();
      named.cleanup();
    }
  });
});
