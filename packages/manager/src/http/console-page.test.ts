import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runInNewContext, Script } from 'node:vm';
import type { InfoResponse, LmStatus, UsageResponse } from './api-types.js';
import { bannerTone, escapeHtml, renderConsolePage } from './console-page.js';

const info: InfoResponse = {
  name: 'lm-1',
  version: '0.1.0',
  lmid: 'QPDH-7K2M-AB3C-XY9Z',
  status: 'Expiring',
  code: 'EXPIRING',
  detail: 'Expires on 2026-12-06, in 12 days. Renew it to keep it running.',
  licenseKey: '*****-*****-*****-*****-X9Q2P',
  licenseId: 'lic_8f2k',
  serial: 3,
  product: 'graphdb',
  customer: 'Acme Graphs Ltd',
  type: 'NODE',
  mode: 'online',
  nodes: { query: { total: 3, used: 2, free: 1 }, storage: { total: 5, used: 1, free: 4 } },
  limits: { remote_clusters: 2 },
  features: ['scan'],
  startsAt: '2025-12-06T00:00:00.000Z',
  expiresAt: '2026-12-06T00:00:00.000Z',
  daysLeft: 12,
  lastSync: { at: '2026-11-24T11:00:00.000Z', ok: false, error: 'CENTER_UNREACHABLE: connect ECONNREFUSED' },
  replicas: null,
};

const usage: UsageResponse = {
  status: 'Expiring',
  roles: info.nodes,
  leases: [
    {
      product: 'graphdb',
      role: 'query',
      nodeId: 'graphd-0',
      host: 'node-a',
      since: '2026-11-24T10:00:00.000Z',
      expiresAt: '2026-11-24T12:00:30.000Z',
    },
    {
      product: 'graphdb',
      role: 'query',
      nodeId: 'graphd-1',
      host: null,
      since: '2026-11-24T10:05:00.000Z',
      expiresAt: '2026-11-24T12:00:40.000Z',
    },
    {
      product: 'graphdb',
      role: 'storage',
      nodeId: 'storaged-0',
      host: 'node-b',
      since: '2026-11-24T10:06:00.000Z',
      expiresAt: '2026-11-24T12:00:50.000Z',
    },
  ],
};

const page = renderConsolePage(info, usage, { requestCodeEnabled: true });

/** The rows of the table with this id, as arrays of cell text (tags stripped, entities kept). */
function tableRows(html: string, id: string): string[][] {
  const table = new RegExp(`<table id="${id}">([\\s\\S]*?)</table>`).exec(html)?.[1];
  if (!table) throw new Error(`no table ${id}`);
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)![1]!;
  return [...body.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((cell) => cell[1]!),
  );
}

const scriptOf = (html: string) => /<script>([\s\S]*?)<\/script>/.exec(html)![1]!;

describe('escapeHtml', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<script>alert("x") & 'y'</script>`)).toBe('&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;');
  });
  it('escapes an ampersand first, so entities are not double-read', () => {
    expect(escapeHtml('&lt;')).toBe('&amp;lt;');
  });
  it('renders null and undefined as empty text and numbers as text', () => {
    expect(escapeHtml(null)).toBe('');
    expect(escapeHtml(undefined)).toBe('');
    expect(escapeHtml(12)).toBe('12');
  });
});

describe('renderConsolePage', () => {
  const tones: [LmStatus, string][] = [
    ['Normal', 'green'],
    ['Expiring', 'amber'],
    ['Grace', 'amber'],
    ['Syncing', 'amber'],
    ['Expired', 'red'],
    ['Invalid', 'red'],
    ['NotExist', 'red'],
  ];
  it.each(tones)('colours the banner for %s %s', (status, tone) => {
    expect(bannerTone(status)).toBe(tone);
    const html = renderConsolePage({ ...info, status }, { ...usage, status }, { requestCodeEnabled: true });
    const banner = /<header class="banner banner-(\w+)"/.exec(html);
    expect(banner?.[1]).toBe(tone);
    expect(html).toContain(`<span id="status">${status}</span>`);
  });

  it('is a complete document with a viewport for phones', () => {
    expect(page.startsWith('<!doctype html>')).toBe(true);
    expect(page.trimEnd().endsWith('</html>')).toBe(true);
    expect(page).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(page).toContain('<meta charset="utf-8">');
  });

  it('shows the status code and the detail sentence in the banner', () => {
    const banner = /<header[\s\S]*?<\/header>/.exec(page)![0];
    expect(banner).toContain('<code id="code">EXPIRING</code>');
    expect(banner).toContain('Expires on 2026-12-06, in 12 days. Renew it to keep it running.');
  });

  it('shows the LMID with a copy button', () => {
    expect(page).toContain('<div id="lmid" class="lmid">QPDH-7K2M-AB3C-XY9Z</div>');
    expect(page).toContain('<button type="button" class="copy" data-copy="lmid">');
  });

  it('shows the license: masked key, id, product, customer, mode, expiry, days left and last sync', () => {
    const facts = Object.fromEntries([...page.matchAll(/<dt>(.*?)<\/dt><dd>(.*?)<\/dd>/g)].map((m) => [m[1], m[2]]));
    expect(facts).toMatchObject({
      'License key': '*****-*****-*****-*****-X9Q2P',
      'License id': 'lic_8f2k (serial 3)',
      Product: 'graphdb',
      Customer: 'Acme Graphs Ltd',
      Mode: 'online',
      Expires: '2026-12-06 00:00 UTC',
      'Days left': '12',
      'Last sync': '2026-11-24 11:00 UTC · failed: CENTER_UNREACHABLE: connect ECONNREFUSED',
      Limits: 'remote_clusters: 2',
      Features: 'scan',
    });
  });

  it('shows an offline license by its id, without a key row or a sync time', () => {
    const html = renderConsolePage({ ...info, mode: 'offline', licenseKey: 'lic_8f2k', lastSync: null }, usage, {
      requestCodeEnabled: true,
    });
    const facts = Object.fromEntries([...html.matchAll(/<dt>(.*?)<\/dt><dd>(.*?)<\/dd>/g)].map((m) => [m[1], m[2]]));
    expect(facts['License key']).toBeUndefined();
    expect(facts).toMatchObject({ 'License id': 'lic_8f2k (serial 3)', Mode: 'offline', 'Last sync': 'Not synced (offline key)' });
  });

  it('says so when no license is loaded', () => {
    const none = renderConsolePage(
      {
        ...info,
        status: 'NotExist',
        code: 'NO_LICENSE',
        licenseKey: null,
        licenseId: null,
        serial: null,
        product: null,
        customer: null,
        mode: null,
        nodes: {},
        lastSync: null,
      },
      { status: 'NotExist', roles: {}, leases: [] },
      { requestCodeEnabled: true },
    );
    expect(none).toContain('No license is loaded.');
    expect(none).toContain('No seats are leased.');
    expect(none).not.toContain('<table');
  });

  it('lists the replicas sharing a database, which are live, which answered and which syncs; none for one License Manager', () => {
    const replica = { hostname: 'lm-0', port: 9119, version: '0.1.0', startedAt: '2026-11-24T10:00:00.000Z' };
    const replicas = [
      { ...replica, id: 'rep_a', lastSeenAt: '2026-11-24T12:00:00.000Z', live: true, self: true, syncs: true },
      { ...replica, id: 'rep_b', hostname: 'lm-1', lastSeenAt: '2026-11-24T11:00:00.000Z', live: false, self: false, syncs: false },
    ];
    const html = renderConsolePage({ ...info, replicas }, usage, { requestCodeEnabled: true });
    expect(html).toContain('1 live of 2, sharing one database.');
    expect(tableRows(html, 'replicas').map((row) => [row[0], row[1], row[2], row[4]])).toEqual([
      ['rep_a', 'lm-0:9119', 'live', 'this page, syncs'],
      ['rep_b', 'lm-1:9119', '<strong>not live</strong>', '—'],
    ]);
    expect(html).toContain('it belongs to the installation in the shared database');
    expect(page).not.toContain('id="replicas"');
  });

  it('lists usage per role and every lease', () => {
    expect(tableRows(page, 'usage')).toEqual([
      ['query', '3', '2', '1'],
      ['storage', '5', '1', '4'],
    ]);
    expect(tableRows(page, 'leases')).toEqual([
      ['graphdb', 'query', 'graphd-0', 'node-a', '2026-11-24 10:00 UTC', '2026-11-24 12:00 UTC'],
      ['graphdb', 'query', 'graphd-1', '—', '2026-11-24 10:05 UTC', '2026-11-24 12:00 UTC'],
      ['graphdb', 'storage', 'storaged-0', 'node-b', '2026-11-24 10:06 UTC', '2026-11-24 12:00 UTC'],
    ]);
  });

  it('escapes every value from the license and the leases', () => {
    const evil = `<script>alert(1)</script>`;
    const attr = `"><img src=x onerror=alert(2)>`;
    const html = renderConsolePage(
      {
        ...info,
        name: evil,
        customer: evil,
        product: attr,
        detail: evil,
        licenseId: attr,
        lastSync: { at: '2026-11-24T11:00:00.000Z', ok: false, error: evil },
        features: [evil],
      },
      {
        ...usage,
        roles: { [evil]: { total: 1, used: 0, free: 1 } },
        leases: [{ ...usage.leases[0]!, nodeId: evil, host: attr, role: attr }],
      },
      { requestCodeEnabled: true },
    );
    expect(html).not.toContain(evil);
    expect(html).not.toContain('<img');
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(tableRows(html, 'usage')[0]![0]).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
  });

  it('loads nothing from anywhere: no external URL, no src, no stylesheet link, no url()', () => {
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect(page).not.toMatch(/\ssrc=/i);
    expect(page).not.toMatch(/<link\b/i);
    expect(page).not.toMatch(/url\(|@import/i);
    for (const [, href] of page.matchAll(/href="([^"]*)"/g)) expect(href).toMatch(/^\/[a-z0-9/]*$/);
  });

  it('labels every input and textarea', () => {
    const ids = [...page.matchAll(/<(?:input|textarea)\b[^>]*\bid="([^"]+)"/g)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThanOrEqual(10);
    for (const id of ids) {
      const wrapped = new RegExp(`<label[^>]*>\\s*<input[^>]*id="${id}"`).test(page);
      expect(wrapped || page.includes(`<label for="${id}">`), id).toBe(true);
    }
    expect([...page.matchAll(/<(?:input|textarea)\b(?![^>]*\bid=)[^>]*>/g)]).toEqual([]);
  });

  it('asks for the admin token in password fields, explains where it is, and posts the forms (never GET)', () => {
    expect(page).toContain('<input id="load-token" name="token" type="password"');
    expect(page).toContain('<input id="request-token" name="token" type="password"');
    expect(page).toContain('<code>admin.token</code>');
    for (const [form] of page.matchAll(/<form\b[^>]*>/g)) expect(form).toMatch(/method="post"/);
    expect(scriptOf(page)).not.toMatch(/[?&](key|token)=|location\.search|encodeURIComponent/);
  });

  it('leaves out the request-code form when it is disabled', () => {
    const html = renderConsolePage(info, usage, { requestCodeEnabled: false });
    expect(html).not.toContain('id="request-form"');
    expect(html).toContain('id="load-form"');
    expect(() => new Script(scriptOf(html))).not.toThrow();
  });
});

describe('the console page script', () => {
  it('is valid JavaScript', () => {
    expect(() => new Script(scriptOf(page))).not.toThrow();
  });

  it('parses "query=3,storage=5" and refuses what is not role=number', () => {
    const context: Record<string, any> = {};
    runInNewContext(scriptOf(page), context);
    expect({ ...context.parseNodes('query=3, storage=5') }).toEqual({ query: 3, storage: 5 });
    expect({ ...context.parseNodes(' query = 1 ,') }).toEqual({ query: 1 });
    expect(() => context.parseNodes('query=three')).toThrow(/"query=three" is not role=number/);
    expect(() => context.parseNodes('Query=3')).toThrow(/is not role=number/);
    expect(() => context.parseNodes('')).toThrow(/at least one role/);
  });

  it('turns an API error body into "CODE: message"', () => {
    const context: Record<string, any> = {};
    runInNewContext(scriptOf(page), context);
    expect(context.apiError(401, { error: { code: 'UNAUTHORIZED', message: 'The admin token is wrong.', requestId: 'req_1' } })).toBe(
      'UNAUTHORIZED: The admin token is wrong.',
    );
    expect(context.apiError(502, null)).toBe('The License Manager answered HTTP 502.');
  });
});

/**
 * The forms' behaviour against a real HTTP server on loopback that answers like the LM's admin API: the script runs
 * in a VM over a small DOM made from the page's own elements, and fetch goes to the server.
 */
describe('the console page forms', () => {
  let server: Server;
  let base: string;
  const requests: { method: string; url: string; authorization: string | undefined; body: any }[] = [];
  let answer: { status: number; body: unknown } = { status: 200, body: {} };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => {
        requests.push({
          method: req.method!,
          url: req.url!,
          authorization: req.headers.authorization,
          body: text ? JSON.parse(text) : null,
        });
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  interface FakeElement {
    id: string;
    tagName: string;
    value: string;
    textContent: string;
    hidden: boolean;
    checked: boolean;
    disabled: boolean;
    listeners: Map<string, (event: unknown) => void>;
    focus(): void;
    addEventListener(type: string, listener: (event: unknown) => void): void;
    querySelector(selector: string): FakeElement | null;
  }

  /** A DOM of the page's elements with an id; a form finds its error line and submit button inside its own markup. */
  function mount(html: string) {
    const elements = new Map<string, FakeElement>();
    for (const match of html.matchAll(/<(\w+)\b([^>]*)\bid="([^"]+)"([^>]*)>/g)) {
      const attrs = match[2]! + match[4]!;
      const id = match[3]!;
      const element: FakeElement = {
        id,
        tagName: match[1]!.toUpperCase(),
        value: '',
        textContent: '',
        hidden: /\shidden\b/.test(attrs),
        checked: false,
        disabled: false,
        listeners: new Map(),
        focus() {},
        addEventListener(type, listener) {
          this.listeners.set(type, listener);
        },
        querySelector(selector) {
          const markup = new RegExp(`<form id="${id}"[\\s\\S]*?</form>`).exec(html)?.[0] ?? '';
          if (selector === '.error') return elements.get(/id="([^"]+)" class="error"/.exec(markup)?.[1] ?? '') ?? null;
          if (selector === 'button[type=submit]') return markup.includes('<button type="submit"') ? submitButton : null;
          return null;
        },
      };
      elements.set(id, element);
    }
    const submitButton = { disabled: false } as FakeElement;
    const reloads: number[] = [];
    const document = { getElementById: (id: string) => elements.get(id) ?? null, querySelectorAll: () => [] };
    const fetchFromPage = (path: string, init: RequestInit) => fetch(new URL(path, base), init);
    runInNewContext(scriptOf(html), {
      document,
      fetch: fetchFromPage,
      setTimeout: (fn: () => void) => fn(),
      location: { reload: () => reloads.push(1) },
      navigator: {},
      window: {},
    });
    const get = (id: string) => elements.get(id)!;
    const submit = async (formId: string) => {
      const before = requests.length;
      get(formId).listeners.get('submit')!({ preventDefault() {} });
      for (let i = 0; i < 100 && (submitButton.disabled || (requests.length === before && i < 5)); i++)
        await new Promise((r) => setTimeout(r, 10));
    };
    return { get, submit, reloads };
  }

  it('shows an API error next to the load form and keeps what the user typed; the key and token go in the body and header', async () => {
    const dom = mount(page);
    const key = 'MM90U-9H4Q0-W093M-ABCDE-FGHIJ';
    dom.get('load-key').value = key;
    dom.get('load-token').value = 'wrong-token';
    answer = { status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'The admin token is wrong.', requestId: 'req_1' } } };
    requests.length = 0;
    await dom.submit('load-form');
    expect(requests).toEqual([{ method: 'POST', url: '/v1/admin/load', authorization: 'Bearer wrong-token', body: { key, force: false } }]);
    expect(dom.get('load-error')).toMatchObject({ hidden: false, textContent: 'UNAUTHORIZED: The admin token is wrong.' });
    expect(dom.get('load-key').value).toBe(key);
    expect(dom.get('load-token').value).toBe('wrong-token');
    expect(dom.get('request-error').hidden).toBe(true);
    expect(dom.reloads).toEqual([]);
  });

  it('reports a loaded key and reloads the page', async () => {
    const dom = mount(page);
    dom.get('load-key').value = 'MM90U-9H4Q0-W093M-ABCDE-FGHIJ';
    dom.get('load-token').value = 'right-token';
    dom.get('load-force').checked = true;
    answer = { status: 200, body: { ...info, status: 'Normal', code: 'VALID', detail: 'Valid until 2027-12-06.' } };
    requests.length = 0;
    await dom.submit('load-form');
    expect(requests[0]!.body).toEqual({ key: 'MM90U-9H4Q0-W093M-ABCDE-FGHIJ', force: true });
    expect(dom.get('load-error').hidden).toBe(true);
    expect(dom.get('load-result').textContent).toMatch(/^Loaded\. Status: Normal \(VALID\)\. Valid until 2027-12-06\./);
    expect(dom.reloads).toEqual([1]);
  });

  it('does not send a load without a key, and says what is missing', async () => {
    const dom = mount(page);
    dom.get('load-token').value = 'right-token';
    requests.length = 0;
    await dom.submit('load-form');
    expect(requests).toEqual([]);
    expect(dom.get('load-error')).toMatchObject({ hidden: false, textContent: 'The license key is required.' });
  });

  it('makes a request code and shows it in the read-only box', async () => {
    const dom = mount(page);
    dom.get('request-name').value = 'Ann Admin';
    dom.get('request-email').value = 'ann@customer.example';
    dom.get('request-phone').value = '+1 555 0100';
    dom.get('request-nodes').value = 'query=3,storage=5';
    dom.get('request-months').value = '6';
    dom.get('request-token').value = 'right-token';
    answer = { status: 200, body: { requestCode: 'tessera-request:1.abc.def', lmid: info.lmid } };
    requests.length = 0;
    await dom.submit('request-form');
    expect(requests).toEqual([
      {
        method: 'POST',
        url: '/v1/admin/request-code',
        authorization: 'Bearer right-token',
        body: { name: 'Ann Admin', email: 'ann@customer.example', phone: '+1 555 0100', nodes: { query: 3, storage: 5 }, months: 6 },
      },
    ]);
    expect(dom.get('request-result').hidden).toBe(false);
    expect(dom.get('request-code').value).toBe('tessera-request:1.abc.def');
    expect(dom.get('request-error').hidden).toBe(true);
  });

  it('shows a bad nodes field next to the request form without sending or clearing anything', async () => {
    const dom = mount(page);
    dom.get('request-name').value = 'Ann Admin';
    dom.get('request-email').value = 'ann@customer.example';
    dom.get('request-nodes').value = 'query=three';
    dom.get('request-token').value = 'right-token';
    requests.length = 0;
    await dom.submit('request-form');
    expect(requests).toEqual([]);
    expect(dom.get('request-error').textContent).toMatch(/"query=three" is not role=number/);
    expect(dom.get('request-nodes').value).toBe('query=three');
    expect(dom.get('load-error').hidden).toBe(true);
  });

  it('shows a validation error from the API next to the request form', async () => {
    const dom = mount(page);
    dom.get('request-name').value = 'Ann Admin';
    dom.get('request-email').value = 'ann@customer.example';
    dom.get('request-nodes').value = 'query=3';
    dom.get('request-token').value = 'right-token';
    answer = { status: 400, body: { error: { code: 'BAD_REQUEST', message: 'body/email must be an email', requestId: 'req_2' } } };
    await dom.submit('request-form');
    expect(dom.get('request-error')).toMatchObject({ hidden: false, textContent: 'BAD_REQUEST: body/email must be an email' });
    expect(dom.get('request-result').hidden).toBe(true);
    expect(dom.get('request-email').value).toBe('ann@customer.example');
  });
});

describe('the vendor on the console', () => {
  it('names the vendor and its support address in the header and the title, as text', () => {
    const html = renderConsolePage(info, usage, {
      requestCodeEnabled: true,
      vendor: { name: 'Acme <script>alert(1)</script>', supportEmail: 'help@acme.example' },
    });
    expect(html).toContain(
      '<p class="vendor">Acme &lt;script&gt;alert(1)&lt;/script&gt; · support: <a href="mailto:help@acme.example">help@acme.example</a></p>',
    );
    expect(html).toMatch(/<title>[^<]* · Acme &lt;script&gt;alert\(1\)&lt;\/script&gt;<\/title>/);
    expect(html).not.toContain('<script>alert');
  });

  it('shows no vendor line when the configuration names none', () => {
    expect(page).not.toContain('class="vendor"');
    expect(renderConsolePage(info, usage, { requestCodeEnabled: true, vendor: { name: null, supportEmail: null } })).not.toContain(
      'class="vendor"',
    );
  });
});
