import { describe, expect, it } from 'vitest';
import type { InfoResponse, LmStatus, UsageResponse } from '@tessera/core';
import { bannerTone, CONSOLE_CSP, renderConsolePage } from './page.js';

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

  it('loads nothing from anywhere but the LM: no external URL, one script of its own, no stylesheet link, no url()', () => {
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).not.toMatch(/\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    expect([...page.matchAll(/\ssrc="([^"]*)"/gi)].map((m) => m[1])).toEqual(['/console/browser.js']);
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
  });

  it('leaves out the request-code form when it is disabled', () => {
    const html = renderConsolePage(info, usage, { requestCodeEnabled: false });
    expect(html).not.toContain('id="request-form"');
    expect(html).toContain('id="load-form"');
    expect(html).toContain('<script type="module" src="/console/browser.js"></script>');
  });

  it('has no inline script, so its policy can allow scripts from the LM only, and its one style by hash', () => {
    expect([...page.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1])).toEqual(['']);
    expect(page).not.toMatch(/\son[a-z]+=/i);
    expect(page).not.toMatch(/\sstyle=/i);
    const policy = CONSOLE_CSP.split('; ');
    expect(policy).toContain("script-src 'self'");
    expect(policy.find((p) => p.startsWith('style-src'))).toMatch(/^style-src 'sha256-[A-Za-z0-9+/]{43}='$/);
    expect(CONSOLE_CSP).not.toContain('unsafe');
  });

  it("gives the request form core's name pattern for the nodes field, escaped as an attribute", () => {
    expect(page).toContain(
      '<form id="request-form" method="post" action="/v1/admin/request-code" data-name-pattern="^[a-z][a-z0-9_-]{0,31}$" novalidate>',
    );
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
