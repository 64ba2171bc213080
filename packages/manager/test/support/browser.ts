/**
 * Debian's Chromium (found or installed by scripts/browser-global-setup.ts) driven by playwright-core, for the
 * console page: the same launch as the portal's browser tests, and a page that records what reaches the browser's
 * console and every request it sends.
 */
import { chromium } from 'playwright-core';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { inject } from 'vitest';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: inject('chromiumPath'),
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface SentRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  body: unknown;
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Every console message and page error, in order ("error: …"): a content-policy violation is one. */
  console: string[];
  /** Every request the page sent after it loaded (not the page and its scripts). */
  sent: SentRequest[];
  /** How many times the page loaded. */
  loads: number;
}

/**
 * A fresh profile on the page at `url`, with the page's clock under the test's hand (page.clock): timers in the
 * page run only when the test moves its time, so the test never sleeps to see whether one fires.
 */
export async function openConsole(browser: Browser, url: string): Promise<ConsolePage> {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const opened: ConsolePage = { context, page, console: [], sent: [], loads: 0 };
  page.on('console', (message) => opened.console.push(`${message.type()}: ${message.text()}`));
  page.on('pageerror', (error) => opened.console.push(`pageerror: ${error.message}`));
  page.on('load', () => opened.loads++);
  page.on('request', (request) => {
    if (request.method() === 'GET') return;
    const body = request.postData();
    opened.sent.push({
      method: request.method(),
      path: new URL(request.url()).pathname,
      authorization: request.headers().authorization,
      body: body === null ? null : jsonOrText(body),
    });
  });
  await page.clock.install();
  await page.goto(url);
  return opened;
}

/** Console lines that are not the browser's own line for an expected 4xx answer: script errors, policy violations. */
export function consoleProblems(lines: string[]): string[] {
  return lines.filter(
    (line) => /^(error|warning|pageerror)/.test(line) && !/Failed to load resource: the server responded with a status of 4\d\d/.test(line),
  );
}

/** A request body as JSON, or as its text when it is not (a form posted without the script, say). */
function jsonOrText(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}
