/**
 * The license routes over real HTTP on each dialect: a customer's cards, details, bind, mode and key; staff's
 * create, renew, expand, rebind and request codes; roles; input errors; and that no key reaches the log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLicenseKey, createRequestCode, readClockReset, readTrustFile } from '@tessera/core';
import type { TrustBundle } from '@tessera/core';
import { DIALECTS } from './support/databases.js';
import { startTestCenter } from './support/http.js';
import type { Client, TestCenter } from './support/http.js';
import { makeLm, syncRequestOf, unwrap } from './support/licensing.js';

const DAY = 86_400_000;

/** The LMID as a person might type it: lower case, spaces instead of dashes. */
const typed = (lmid: string) => lmid.toLowerCase().replaceAll('-', ' ');

describe.each(DIALECTS)('license routes on %s', (dialect) => {
  let tc: TestCenter;
  let admin: Client;
  let sales: Client;
  let support: Client;
  let customer: Client;
  let customerId: string;
  let productId: string;
  let trust: TrustBundle;

  const createLicense = async (extra: Record<string, unknown> = {}) => {
    const now = tc.clock.now();
    const created = await sales.post('/v1/staff/licenses', {
      customerId,
      productId,
      nodes: { query: 2, storage: 3 },
      startsAt: now,
      expiresAt: now + 365 * DAY,
      ...extra,
    });
    expect(created.status).toBe(201);
    return created.body as { id: string; serial: number };
  };

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    admin = (await tc.staff('admin@vendor.example', 'admin')).client;
    sales = (await tc.staff('sales@vendor.example', 'sales')).client;
    support = (await tc.staff('support@vendor.example', 'support')).client;
    ({ client: customer, customerId } = await tc.customer('ops@acme.example'));
    const product = await admin.post('/v1/staff/products', {
      slug: 'graphdb',
      name: 'Graph DB',
      roles: ['query', 'storage'],
      limits: ['remote_clusters'],
      features: ['scan'],
    });
    expect(product.status).toBe(201);
    productId = product.body.id;
    trust = unwrap(readTrustFile(await (await fetch(`${tc.center.url}/v1/trust-bundle`)).text())).bundle;
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('a customer sees a new license as a card and its details, unbound, with no offline key yet', async () => {
    const license = await createLicense();
    const cards = await customer.get('/v1/licenses');
    expect(cards.status).toBe(200);
    expect(cards.body.items).toContainEqual(
      expect.objectContaining({
        id: license.id,
        lmid: null,
        product: { slug: 'graphdb', name: 'Graph DB' },
        nodes: { query: 2, storage: 3 },
      }),
    );
    const details = await customer.get(`/v1/licenses/${license.id}`);
    expect(details.status).toBe(200);
    expect(details.body.basic).toMatchObject({ id: license.id, lmid: null, serial: 1 });
    expect(details.body.key).toMatchObject({ mode: 'offline', offlineKeyAvailable: false });
    const key = await customer.get(`/v1/licenses/${license.id}/key`);
    expect(key.status).toBe(400);
    expect(key.body.error).toMatchObject({ code: 'BAD_REQUEST', message: expect.stringMatching(/bind its LMID first/) });
  });

  it('binds a typed LMID once, then copies an offline key that verifies for that LMID; no key in the log', async () => {
    const license = await createLicense();
    const lm = makeLm();
    const bound = await customer.post(`/v1/licenses/${license.id}/bind`, { lmid: typed(lm.lmid) });
    expect(bound.status).toBe(200);
    expect(bound.body).toMatchObject({ lmid: lm.lmid, serial: 2 });
    // The same LMID again changes nothing; another is refused with what to do instead.
    expect((await customer.post(`/v1/licenses/${license.id}/bind`, { lmid: lm.lmid })).body.serial).toBe(2);
    const other = await customer.post(`/v1/licenses/${license.id}/bind`, { lmid: makeLm().lmid });
    expect(other.status).toBe(400);
    expect(other.body.error.message).toMatch(/already bound to License Manager .*ask the vendor to rebind/);

    const key = await customer.get(`/v1/licenses/${license.id}/key`);
    expect(key.status).toBe(200);
    expect(key.headers.get('cache-control')).toBe('no-store');
    expect(key.body.mode).toBe('offline');
    const verdict = checkLicenseKey(key.body.key, trust, { now: tc.clock.now(), lmid: lm.lmid, product: 'graphdb' });
    expect(verdict).toMatchObject({ valid: true, status: 'Normal' });
    expect(verdict.license?.serial).toBe(2);
    expect(checkLicenseKey(key.body.key, trust, { now: tc.clock.now(), lmid: makeLm().lmid, product: 'graphdb' }).code).toBe(
      'LMID_MISMATCH',
    );

    const switched = await customer.put(`/v1/licenses/${license.id}/mode`, { mode: 'online' });
    expect(switched.body).toMatchObject({ mode: 'online', serial: 3 });
    const online = await customer.get(`/v1/licenses/${license.id}/key`);
    expect(online.body).toMatchObject({ mode: 'online', key: expect.stringMatching(/^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$/) });
    const logged = tc.log.join('');
    // The request id of the answer is on the request's log lines.
    const requestId = online.headers.get('x-request-id')!;
    expect(tc.log.filter((line) => line.includes(`"reqId":"${requestId}"`)).length).toBeGreaterThanOrEqual(2);
    expect(logged).not.toContain(key.body.key.slice(20, 80));
    expect(logged).not.toContain(online.body.key);
    const events = await tc.center.services.audit.list({ subject: license.id });
    expect(events.map((e) => e.action)).toEqual(['license.mode', 'license.bound', 'license.created']);
  });

  it('refuses a mistyped LMID with the check character named, and a malformed body or id with 400', async () => {
    const license = await createLicense();
    const lmid = makeLm().lmid;
    const last = lmid.at(-1)!;
    const typo = lmid.slice(0, -1) + (last === '0' ? '1' : '0');
    const wrong = await customer.post(`/v1/licenses/${license.id}/bind`, { lmid: typo });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error).toMatchObject({ code: 'CHECKSUM_MISMATCH', requestId: wrong.headers.get('x-request-id') });
    const misspelt = await customer.post(`/v1/licenses/${license.id}/bind`, { lmId: lmid });
    expect(misspelt.status).toBe(400);
    expect(misspelt.body.error.code).toBe('BAD_REQUEST');
    expect((await customer.post(`/v1/licenses/${license.id}/bind`, { lmid, extra: 1 })).status).toBe(400);
    expect((await customer.get('/v1/licenses/not-an-id')).status).toBe(400);
    expect((await customer.get('/v1/licenses/lic_doesnotexist0000000')).body.error.code).toBe('NOT_FOUND');
    expect((await customer.put(`/v1/licenses/${license.id}/mode`, { mode: 'sideways' })).status).toBe(400);
    expect((await customer.get('/v1/licenses?limit=0')).status).toBe(400);
    expect((await customer.get('/v1/licenses?cursor=bogus')).body.error.message).toMatch(/cursor/);
    // Nothing was changed by any of it.
    expect((await customer.get(`/v1/licenses/${license.id}`)).body.basic).toMatchObject({ lmid: null, serial: 1 });
  });

  it('a customer write with the session cookie but without the CSRF token is refused', async () => {
    const license = await createLicense();
    const forged = await customer.call('PUT', `/v1/licenses/${license.id}/mode`, { mode: 'online' }, { 'x-csrf-token': 'guess' });
    expect(forged.status).toBe(403);
    expect((await customer.get(`/v1/licenses/${license.id}`)).body.key.mode).toBe('offline');
  });

  it('staff renew and expand raise the serial; support rebinds with a reason; roles are enforced as 404', async () => {
    const license = await createLicense();
    const renewed = await sales.post(`/v1/staff/licenses/${license.id}/renew`, { months: 12 });
    expect(renewed.body).toMatchObject({ serial: 2 });
    expect((await sales.post(`/v1/staff/licenses/${license.id}/renew`, { months: 6 })).status).toBe(400);
    const expanded = await sales.post(`/v1/staff/licenses/${license.id}/expand`, { nodes: { query: 1 } });
    expect(expanded.body).toMatchObject({ serial: 3, nodes: { query: 3, storage: 3 } });
    const unknownRole = await sales.post(`/v1/staff/licenses/${license.id}/expand`, { nodes: { gpu: 1 } });
    expect(unknownRole.status).toBe(400);
    expect(unknownRole.body.error.message).toMatch(/gpu/);

    const first = makeLm().lmid;
    const second = makeLm().lmid;
    expect((await support.post(`/v1/staff/licenses/${license.id}/bind`, { lmid: first })).body.lmid).toBe(first);
    expect((await support.post(`/v1/staff/licenses/${license.id}/rebind`, { lmid: second, reason: ' ' })).status).toBe(400);
    const moved = await support.post(`/v1/staff/licenses/${license.id}/rebind`, {
      lmid: second,
      reason: 'host replaced after disk failure',
    });
    expect(moved.body).toMatchObject({ lmid: second });
    // Roles: sales cannot rebind, support cannot renew, and a customer cannot reach staff routes at all.
    expect((await sales.post(`/v1/staff/licenses/${license.id}/rebind`, { lmid: first, reason: 'x' })).status).toBe(404);
    expect((await support.post(`/v1/staff/licenses/${license.id}/renew`, { months: 1 })).status).toBe(404);
    const asCustomer = await customer.post(`/v1/staff/licenses/${license.id}/renew`, { months: 1 });
    expect(asCustomer.status).toBe(404);
    expect(asCustomer.body.error.message).toBe(`There is no POST /v1/staff/licenses/${license.id}/renew here.`);
    const details = await support.get(`/v1/staff/licenses/${license.id}`);
    expect(details.body.history.map((h: { kind: string }) => h.kind)).toEqual(['rebound', 'bound', 'expanded', 'renewed', 'created']);
  });

  it('staff suspend a license with a reason (no key, no sync) and resume it', async () => {
    const license = await createLicense({ mode: 'online' });
    const lm = makeLm();
    await customer.post(`/v1/licenses/${license.id}/bind`, { lmid: lm.lmid });
    const onlineKey = (await customer.get(`/v1/licenses/${license.id}/key`)).body.key as string;
    const syncStatus = async () => {
      const request = syncRequestOf(lm, onlineKey);
      return (
        await fetch(`${tc.center.url}/v1/lm/sync`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ request }),
        })
      ).status;
    };
    expect(await syncStatus()).toBe(200);
    expect((await sales.post(`/v1/staff/licenses/${license.id}/suspend`, { reason: '  ' })).body.error.message).toMatch(
      /A suspension needs a reason/,
    );
    expect((await support.post(`/v1/staff/licenses/${license.id}/suspend`, { reason: 'overdue' })).status).toBe(404);
    expect((await sales.post(`/v1/staff/licenses/${license.id}/suspend`, { reason: 'invoice 1042 overdue' })).body.status).toBe(
      'suspended',
    );
    expect((await customer.get(`/v1/licenses/${license.id}`)).body.basic.status).toBe('suspended');
    const key = await customer.get(`/v1/licenses/${license.id}/key`);
    expect(key.status).toBe(400);
    expect(key.body.error.message).toMatch(/is suspended; contact the vendor/);
    expect(await syncStatus()).toBe(404);
    expect((await sales.post(`/v1/staff/licenses/${license.id}/resume`, { reason: 'paid' })).body.status).toBe('active');
    expect((await customer.get(`/v1/licenses/${license.id}/key`)).body.key).toBe(onlineKey);
    expect(await syncStatus()).toBe(200);
    const history = (await sales.get(`/v1/staff/licenses/${license.id}`)).body.history.map((h: { kind: string }) => h.kind);
    expect(history.slice(0, 2)).toEqual(['resumed', 'suspended']);
  });

  it("a customer's RENEW reaches the sales staff once a day by mail and in their list, until they renew", async () => {
    const license = await createLicense();
    const mailsToSales = async () =>
      (await tc.center.services.db.selectFrom('mail_outbox').select('subject').where('to_address', '=', 'sales@vendor.example').execute())
        .map((m) => m.subject)
        .filter((subject) => subject.startsWith('Renewal requested'));
    const before = (await mailsToSales()).length;
    const asked = await customer.post(`/v1/licenses/${license.id}/renewal-request`, { months: 12 });
    expect(asked.status).toBe(202);
    expect(asked.body.message).toMatch(/sales team/);
    expect((await customer.post(`/v1/licenses/${license.id}/renewal-request`, { months: 12 })).body.message).toMatch(/asked already today/);
    expect((await customer.post(`/v1/licenses/${license.id}/renewal-request`, { months: 6 })).status).toBe(400);
    const subjects = await mailsToSales();
    expect(subjects.length).toBe(before + 1);
    expect(subjects.at(-1)).toMatch(/^Renewal requested: Customer of ops@acme\.example, Graph DB \(1 year\)$/);
    const open = await support.get('/v1/staff/renewal-requests');
    expect(open.body.items).toContainEqual(
      expect.objectContaining({ licenseId: license.id, months: 12, customer: { id: customerId, name: 'Customer of ops@acme.example' } }),
    );
    const details = (await customer.get(`/v1/licenses/${license.id}`)).body;
    expect(details.basic.serial).toBe(1);
    expect(details.history[0]).toMatchObject({ kind: 'renewal_requested', detail: { months: 12 } });
    await sales.post(`/v1/staff/licenses/${license.id}/renew`, { months: 12 });
    const after = await support.get('/v1/staff/renewal-requests');
    expect(after.body.items.map((r: { licenseId: string }) => r.licenseId)).not.toContain(license.id);
  });

  it('RENEW of a license bought on AWS Marketplace leads to the marketplace and records nothing', async () => {
    const endsAt = tc.clock.now() + 365 * DAY;
    const sold = await tc.center.services.contracts.create(
      { customerId, productId, term: '1y', autoRenew: false, quantities: { query: 1 } },
      'usr_test',
      { source: 'marketplace', externalId: 'buyer-1/prod-1', endsAt },
    );
    if (!sold.ok) throw new Error(sold.detail);
    const answer = await customer.post(`/v1/licenses/${sold.value.license.id}/renewal-request`, { months: 12 });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      marketplaceUrl: 'https://aws.amazon.com/marketplace/library',
      message: expect.stringMatching(/AWS Marketplace/),
    });
    const open = await support.get('/v1/staff/renewal-requests');
    expect(open.body.items.map((r: { licenseId: string }) => r.licenseId)).not.toContain(sold.value.license.id);
  });

  it('staff issue an offline key from a pasted request code; a tampered code is refused and nothing is issued', async () => {
    const lm = makeLm();
    const code = createRequestCode(
      {
        contact: { name: 'Ann Operator', email: 'ann@acme.example', phone: '' },
        host: { hostname: 'graph-01', os: 'linux x64', lmVersion: '0.1.0' },
        product: 'graphdb',
        nodes: { query: 4, storage: 2 },
        limits: {},
        features: [],
        months: 12,
        createdAt: '2026-11-24T10:00:00Z',
      },
      lm,
    );
    if (!code.ok) throw new Error(code.detail);
    // Pasted from a terminal: wrapped and indented.
    const pasted = `\n  ${code.value.match(/.{1,60}/g)!.join('\n  ')}\n`;
    const preview = await support.post('/v1/staff/request-codes/preview', { requestCode: pasted });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ lmid: lm.lmid, contact: { email: 'ann@acme.example' }, nodes: { query: 4, storage: 2 } });

    const [head, payload, signature] = code.value.split('.') as [string, string, string];
    const altered = Buffer.from(Buffer.from(payload, 'base64url').toString('utf8').replace('"query":4', '"query":9')).toString('base64url');
    const cardsBefore = (await customer.get('/v1/licenses?limit=200')).body.items.length;
    const grant = { nodes: { query: 3 }, limits: {}, features: [], months: 12 };
    const forged = await sales.post('/v1/staff/request-codes/issue', {
      requestCode: `${head}.${altered}.${signature}`,
      customerId,
      productId,
      grant,
    });
    expect(forged.status).toBe(400);
    expect(forged.body.error.code).toBe('SIGNATURE_INVALID');
    expect((await customer.get('/v1/licenses?limit=200')).body.items.length).toBe(cardsBefore);
    expect((await support.post('/v1/staff/request-codes/issue', { requestCode: pasted, customerId, productId, grant })).status).toBe(404);

    const issued = await sales.post('/v1/staff/request-codes/issue', { requestCode: pasted, customerId, productId, grant });
    expect(issued.status).toBe(201);
    expect(issued.body.license).toMatchObject({ lmid: lm.lmid, nodes: { query: 3 }, customerId });
    const verdict = checkLicenseKey(issued.body.offlineKey, trust, { now: tc.clock.now(), lmid: lm.lmid, product: 'graphdb' });
    expect(verdict.valid).toBe(true);
    // The customer sees it among their cards, bound.
    expect((await customer.get(`/v1/licenses/${issued.body.license.id}`)).body.basic.lmid).toBe(lm.lmid);
  });

  it('answers a sync whose request names a clock mark ahead of its time with a signed reset of that mark', async () => {
    const license = await createLicense({ mode: 'online' });
    const lm = makeLm();
    await customer.post(`/v1/licenses/${license.id}/bind`, { lmid: lm.lmid });
    const onlineKey = (await customer.get(`/v1/licenses/${license.id}/key`)).body.key as string;
    const sync = async (clockMark: string | null) =>
      (await (
        await fetch(`${tc.center.url}/v1/lm/sync`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ request: syncRequestOf(lm, onlineKey, { clockMark }) }),
        })
      ).json()) as { clockReset?: string };
    const inDays = (days: number) => new Date(tc.clock.now() + days * 86_400_000).toISOString();
    expect((await sync(null)).clockReset).toBeUndefined();
    expect((await sync(inDays(-1))).clockReset).toBeUndefined();
    // Further ahead than a week is for staff (a request code), never automatic: a customer could name any mark.
    expect((await sync(inDays(8))).clockReset).toBeUndefined();
    const ahead = inDays(3);
    const reset = readClockReset((await sync(ahead)).clockReset, trust);
    expect(reset.ok && reset.value).toMatchObject({ lmid: lm.lmid, fromHighWater: ahead, toTime: new Date(tc.clock.now()).toISOString() });
    // One a day per LMID, so resets for marks of later days cannot be collected in advance.
    expect((await sync(inDays(4))).clockReset).toBeUndefined();
    const before = tc.clock.t;
    tc.clock.t += 86_400_001;
    try {
      expect((await sync(inDays(4))).clockReset).toEqual(expect.any(String));
    } finally {
      tc.clock.t = before;
    }
  });

  it('lists likely clones for staff once one LMID syncs from two hosts', async () => {
    const license = await createLicense({ mode: 'online' });
    const lm = makeLm();
    await customer.post(`/v1/licenses/${license.id}/bind`, { lmid: lm.lmid });
    const onlineKey = (await customer.get(`/v1/licenses/${license.id}/key`)).body.key as string;
    for (const hostname of ['graph-01', 'graph-01-copy']) {
      const request = syncRequestOf(lm, onlineKey, { host: { hostname, os: 'linux x64' } });
      const synced = await fetch(`${tc.center.url}/v1/lm/sync`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request }),
      });
      expect(synced.status).toBe(200);
    }
    const clones = await support.get('/v1/staff/clones');
    expect(clones.body.items).toContainEqual({ lmid: lm.lmid, hostnames: ['graph-01', 'graph-01-copy'] });
    expect((await customer.get('/v1/staff/clones')).status).toBe(404);
  });
});
