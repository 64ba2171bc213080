import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLicenseKey, createRequestCode, parseTrustBundle, readLicense } from '@tessera/core';
import type { RequestCodeInput, TrustBundle } from '@tessera/core';
import type { DatabaseHandle } from '../src/db/connect.js';
import type { AuditLog } from '../src/services/audit.js';
import type { Licenses } from '../src/services/licenses.js';
import { RequestCodes } from '../src/services/request-codes.js';
import { DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import { makeLm, openLicensing, STAFF, T0, unwrap } from './support/licensing.js';

const asked: RequestCodeInput = {
  contact: { name: 'Ann Operator', email: 'ann@acme.example', phone: '+1 555 0100' },
  host: { hostname: 'graph-01', os: 'linux x64', lmVersion: '0.3.1' },
  product: 'graphdb',
  nodes: { query: 3, storage: 5 },
  limits: { remote_clusters: 2 },
  features: ['scan'],
  months: 12,
  createdAt: '2026-11-24T10:00:00Z',
};

/** The code with one quantity changed in its signed payload, the signature left as it was. */
function tampered(code: string): string {
  const [prefix, payload, signature] = code.split('.') as [string, string, string];
  const json = Buffer.from(payload, 'base64url').toString('utf8');
  const changed = json.replace('"query":3', '"query":9');
  expect(changed).not.toBe(json);
  return `${prefix}.${Buffer.from(changed, 'utf8').toString('base64url')}.${signature}`;
}

describe.each(DIALECTS)('request codes on %s', (dialect) => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  let licenses: Licenses;
  let codes: RequestCodes;
  let audit: AuditLog;
  let trust: TrustBundle;
  const clock = { at: T0, now: () => clock.at };
  const masterKey = randomBytes(32);
  let productId: string;
  let otherProductId: string;
  let customerId: string;
  let otherCustomerId: string;

  beforeAll(async () => {
    const opened = await openLicensing(dialect, clock, masterKey);
    ({ target, handle, licenses } = opened);
    const keys = opened.keys;
    audit = opened.audit;
    codes = new RequestCodes({ db: handle.db, licenses, clock });
    trust = unwrap(parseTrustBundle(await keys.trustBundle()));
    productId = unwrap(
      await licenses.createProduct(
        { slug: 'graphdb', name: 'Graph DB', roles: ['query', 'storage'], limits: ['remote_clusters'], features: ['scan', 'backup'] },
        STAFF,
      ),
    ).id;
    otherProductId = unwrap(
      await licenses.createProduct({ slug: 'explorer', name: 'Explorer', roles: ['query'], limits: [], features: [] }, STAFF),
    ).id;
    customerId = unwrap(await licenses.createCustomer({ name: 'Acme Corp' }, STAFF)).id;
    otherCustomerId = unwrap(await licenses.createCustomer({ name: 'Other Inc' }, STAFF)).id;
  });
  afterAll(async () => {
    await handle.close();
    await target.drop();
  });

  it('previews a code with its LMID, contact, host and quantities', () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    expect(unwrap(codes.preview(`  ${code}\n`))).toEqual({
      lmid: lm.lmid,
      contact: asked.contact,
      host: asked.host,
      product: 'graphdb',
      nodes: { query: 3, storage: 5 },
      limits: { remote_clusters: 2 },
      features: ['scan'],
      months: 12,
      createdAt: '2026-11-24T10:00:00Z',
    });
  });

  it('refuses tampered codes, license keys, garbage and oversized text with core codes and sentences', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    const altered = codes.preview(tampered(code));
    expect(altered).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(!altered.ok && altered.detail).toMatch(/altered or damaged/);
    const { offlineKey } = unwrap(await codes.issue(code, { customerId, productId }, STAFF));
    const pasted = codes.preview(offlineKey);
    expect(pasted).toMatchObject({ ok: false, code: 'WRONG_KIND' });
    expect(!pasted.ok && pasted.detail).toMatch(/not a request code/);
    expect(await codes.issue(offlineKey, { customerId, productId }, STAFF)).toMatchObject({ ok: false, code: 'WRONG_KIND' });
    expect(await codes.issue(tampered(code), { customerId, productId }, STAFF)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    for (const garbage of ['', 'hello', code.slice(0, 40), 42, null, 'x'.repeat(70_000)]) {
      const read = codes.preview(garbage);
      expect(read.ok).toBe(false);
      expect(!read.ok && read.detail.length).toBeGreaterThan(10);
    }
  });

  it('issues an offline license bound to the LMID: the key verifies and evaluates VALID there, for that product only', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    clock.at = T0 + 60_000;
    const { license, offlineKey } = unwrap(await codes.issue(code, { customerId, productId }, STAFF));
    expect(license).toMatchObject({
      customerId,
      productId,
      lmid: lm.lmid,
      mode: 'offline',
      serial: 1,
      nodes: { query: 3, storage: 5 },
      limits: { remote_clusters: 2 },
      features: ['scan'],
      startsAt: T0 + 60_000,
      expiresAt: Date.parse('2027-11-24T12:01:00Z'),
    });
    const verdict = checkLicenseKey(offlineKey, trust, { now: clock.at, lmid: lm.lmid, product: 'graphdb' });
    expect(verdict).toMatchObject({ valid: true, code: 'VALID' });
    expect(verdict.license).toMatchObject({ id: license.id, lmid: lm.lmid, nodes: { query: 3, storage: 5 }, mode: 'offline' });
    expect(checkLicenseKey(offlineKey, trust, { now: clock.at, lmid: makeLm().lmid, product: 'graphdb' })).toMatchObject({
      code: 'LMID_MISMATCH',
    });
    expect(checkLicenseKey(offlineKey, trust, { now: clock.at, lmid: lm.lmid, product: 'explorer' })).toMatchObject({
      code: 'PRODUCT_MISMATCH',
    });
    // The key is the one the license shows.
    expect(unwrap(await licenses.key(license.id, { customerId }))).toEqual({ mode: 'offline', key: offlineKey });
    clock.at = T0;
  });

  it('adjusted quantities and months change the key; with licenseId the same license gets a higher serial', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    const first = unwrap(await codes.issue(code, { customerId, productId }, STAFF));
    const adjusted = unwrap(
      await codes.issue(
        code,
        {
          customerId,
          productId,
          licenseId: first.license.id,
          adjust: { nodes: { query: 2, storage: 7 }, features: ['scan', 'backup'], months: 1 },
        },
        STAFF,
      ),
    );
    expect(adjusted.license).toMatchObject({
      id: first.license.id,
      serial: 2,
      nodes: { query: 2, storage: 7 },
      features: ['scan', 'backup'],
    });
    expect(adjusted.license.expiresAt).toBe(Date.parse('2026-12-24T12:00:00Z'));
    expect(adjusted.offlineKey).not.toBe(first.offlineKey);
    const read = unwrap(readLicense(adjusted.offlineKey, trust));
    expect(read).toMatchObject({ serial: 2, lmid: lm.lmid, nodes: { query: 2, storage: 7 }, features: ['scan', 'backup'] });
    // Adjustments follow the product's rules.
    expect(await codes.issue(code, { customerId, productId, adjust: { nodes: { gpu: 1 } } }, STAFF)).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    });
    expect(await codes.issue(code, { customerId, productId, adjust: { months: 0 } }, STAFF)).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    });
  });

  it('refuses another product, customer or LMID, and never rebinds through a request code', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    expect(await codes.issue(code, { customerId, productId: otherProductId }, STAFF)).toMatchObject({
      ok: false,
      code: 'PRODUCT_MISMATCH',
    });
    expect(await codes.issue(code, { customerId, productId: 'prd_nope' }, STAFF)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await codes.issue(code, { customerId: 'cus_nope', productId }, STAFF)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    const issued = unwrap(await codes.issue(code, { customerId, productId }, STAFF));
    // Another customer's license is not found; a license bound to another LMID is refused, pointing to rebind.
    expect(await codes.issue(code, { customerId: otherCustomerId, productId, licenseId: issued.license.id }, STAFF)).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
    const otherCode = unwrap(createRequestCode(asked, makeLm()));
    const rebind = await codes.issue(otherCode, { customerId, productId, licenseId: issued.license.id }, STAFF);
    expect(rebind).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(!rebind.ok && rebind.detail).toContain('rebind it first');
    expect(unwrap(await licenses.get(issued.license.id, { customerId: null }))).toMatchObject({ serial: 1, lmid: lm.lmid });
  });

  it('audits the issue with the LMID and license id, and never the code text or the contact', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    const { license } = unwrap(await codes.issue(code, { customerId, productId }, 'usr_sales'));
    const events = await audit.list({ subject: license.id });
    expect(events.map((e) => e.action)).toEqual(['license.issued_from_request_code']);
    expect(events[0]).toMatchObject({ actor: 'usr_sales', data: { licenseId: license.id, lmid: lm.lmid, serial: 1 } });
    const everything = JSON.stringify(await handle.db.selectFrom('audit_events').selectAll().execute());
    const [, payload, signature] = code.split('.') as [string, string, string];
    expect(everything).not.toContain(payload.slice(0, 40));
    expect(everything).not.toContain(signature);
    expect(everything).not.toContain('ann@acme.example');
    const changes = await handle.db.selectFrom('license_changes').selectAll().where('license_id', '=', license.id).execute();
    expect(changes.map((c) => c.kind)).toEqual(['issued_from_request_code']);
    expect(JSON.stringify(changes)).not.toContain(payload.slice(0, 40));
  });
});
