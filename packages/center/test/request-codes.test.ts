import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkLicenseKey, createRequestCode, parseTrustBundle, readLicense } from '@tessera/core';
import type { RequestCodeInput, TrustBundle } from '@tessera/core';
import type { DatabaseHandle } from '../src/db/connect.js';
import type { AuditLog } from '../src/services/audit/audit.js';
import type { Licenses } from '../src/services/licenses/licenses.js';
import type { Catalogue } from '../src/services/catalogue/catalogue.js';
import { RequestCodes } from '../src/services/licenses/request-codes.js';
import type { RequestCodeGrant } from '../src/services/licenses/request-codes.js';
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

/** What a customer crafting a code might hope staff grant unread: a role, limit, feature the product lacks, ten years. */
const crafted: RequestCodeInput = {
  ...asked,
  nodes: { query: 3, storage: 5, gpu: 4 },
  limits: { remote_clusters: 50, max_users: 100_000 },
  features: ['scan', 'backup', 'federation'],
  months: 120,
};

/** Everything the code asks for, confirmed as it is (valid for graphdb). */
const asAsked: RequestCodeGrant = { nodes: { query: 3, storage: 5 }, limits: { remote_clusters: 2 }, features: ['scan'], months: 12 };

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
  let catalogue: Catalogue;
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
    ({ target, handle, licenses, catalogue } = opened);
    const keys = opened.keys;
    audit = opened.audit;
    codes = new RequestCodes({ db: handle.db, licenses, clock });
    trust = unwrap(parseTrustBundle(await keys.trustBundle()));
    productId = unwrap(
      await catalogue.createProduct(
        { slug: 'graphdb', name: 'Graph DB', roles: ['query', 'storage'], limits: ['remote_clusters'], features: ['scan', 'backup'] },
        STAFF,
      ),
    ).id;
    otherProductId = unwrap(
      await catalogue.createProduct({ slug: 'explorer', name: 'Explorer', roles: ['query'], limits: [], features: [] }, STAFF),
    ).id;
    customerId = unwrap(await catalogue.createCustomer({ name: 'Acme Corp' }, STAFF)).id;
    otherCustomerId = unwrap(await catalogue.createCustomer({ name: 'Other Inc' }, STAFF)).id;
  });
  afterAll(async () => {
    await handle.close();
    await target.drop();
  });

  it('previews everything a code asks for, checked against the product it names, with nothing flagged', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    expect(unwrap(await codes.preview(`  ${code}\n`))).toEqual({
      lmid: lm.lmid,
      contact: asked.contact,
      host: asked.host,
      product: 'graphdb',
      nodes: { query: 3, storage: 5 },
      limits: { remote_clusters: 2 },
      features: ['scan'],
      months: 12,
      createdAt: '2026-11-24T10:00:00Z',
      checkedAgainst: { id: productId, slug: 'graphdb' },
      flags: [],
    });
  });

  it('shows every ask of a crafted code and flags each one the product does not define', async () => {
    const code = unwrap(createRequestCode(crafted, makeLm()));
    const preview = unwrap(await codes.preview(code));
    expect(preview).toMatchObject({ product: 'graphdb', months: 120, checkedAgainst: { id: productId, slug: 'graphdb' } });
    expect([preview.nodes, preview.limits, preview.features]).toEqual([
      { query: 3, storage: 5, gpu: 4 },
      { remote_clusters: 50, max_users: 100_000 },
      ['scan', 'backup', 'federation'],
    ]);
    expect(preview.flags.map(({ item, name }) => `${item} ${name}`)).toEqual(['role gpu', 'limit max_users', 'feature federation']);
    expect(preview.flags[0]!.message).toBe('gpu nodes (4): graphdb has no role gpu (it has query, storage).');
    expect(preview.flags[2]!.message).toBe('feature federation: graphdb has no feature federation (it has scan, backup).');

    // Checked against another product: the product itself is flagged, and every ask that product lacks.
    const against = unwrap(await codes.preview(code, otherProductId));
    expect(against.checkedAgainst).toEqual({ id: otherProductId, slug: 'explorer' });
    expect(against.flags.map(({ item, name }) => `${item} ${name}`)).toEqual([
      'product graphdb',
      'role storage',
      'role gpu',
      'limit remote_clusters',
      'limit max_users',
      'feature scan',
      'feature backup',
      'feature federation',
    ]);
    expect(against.flags[0]!.message).toMatch(/^The code asks for graphdb, not explorer: a key for explorer is refused/);
    expect(await codes.preview(code, 'prd_nope')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('flags a product the center does not have, and checks a code naming none only against a chosen product', async () => {
    const unknown = unwrap(await codes.preview(unwrap(createRequestCode({ ...asked, product: 'graphdb-pro' }, makeLm()))));
    expect(unknown.checkedAgainst).toBeNull();
    expect(unknown.flags).toEqual([
      { item: 'product', name: 'graphdb-pro', message: 'The code asks for graphdb-pro, which is not a product here.' },
    ]);
    const unnamed = unwrap(createRequestCode({ ...asked, product: null, nodes: { query: 1, gpu: 2 } }, makeLm()));
    expect(unwrap(await codes.preview(unnamed))).toMatchObject({ product: null, checkedAgainst: null, flags: [] });
    expect(unwrap(await codes.preview(unnamed, productId)).flags.map((f) => f.name)).toEqual(['gpu']);
  });

  it('refuses tampered codes, license keys, garbage and oversized text with core codes and sentences', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    const altered = await codes.preview(tampered(code));
    expect(altered).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
    expect(!altered.ok && altered.detail).toMatch(/altered or damaged/);
    const { offlineKey } = unwrap(await codes.issue(code, { customerId, productId, grant: asAsked }, STAFF));
    const pasted = await codes.preview(offlineKey);
    expect(pasted).toMatchObject({ ok: false, code: 'WRONG_KIND' });
    expect(!pasted.ok && pasted.detail).toMatch(/not a request code/);
    expect(await codes.issue(offlineKey, { customerId, productId, grant: asAsked }, STAFF)).toMatchObject({
      ok: false,
      code: 'WRONG_KIND',
    });
    expect(await codes.issue(tampered(code), { customerId, productId, grant: asAsked }, STAFF)).toMatchObject({
      ok: false,
      code: 'SIGNATURE_INVALID',
    });
    for (const garbage of ['', 'hello', code.slice(0, 40), 42, null, 'x'.repeat(70_000)]) {
      const read = await codes.preview(garbage);
      expect(read.ok).toBe(false);
      expect(!read.ok && read.detail.length).toBeGreaterThan(10);
    }
  });

  it('issues an offline license bound to the LMID: the key verifies and evaluates VALID there, for that product only', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    clock.at = T0 + 60_000;
    const { license, offlineKey } = unwrap(await codes.issue(code, { customerId, productId, grant: asAsked }, STAFF));
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

  it('the key holds exactly the grant: asks kept, changed or struck, and nothing the code asked beyond it', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(crafted, lm));
    // storage, every limit and the scan and federation features struck; query kept; backup kept; months changed.
    const grant: RequestCodeGrant = { nodes: { query: 3 }, limits: {}, features: ['backup'], months: 1 };
    const { license, offlineKey } = unwrap(await codes.issue(code, { customerId, productId, grant }, STAFF));
    const read = unwrap(readLicense(offlineKey, trust));
    expect({ nodes: read.nodes, limits: read.limits, features: read.features }).toEqual({
      nodes: { query: 3 },
      limits: {},
      features: ['backup'],
    });
    expect(read).toMatchObject({ lmid: lm.lmid, product: 'graphdb', startsAtMs: T0, expiresAtMs: Date.parse('2026-12-24T12:00:00Z') });
    expect({ nodes: license.nodes, limits: license.limits, features: license.features }).toEqual({
      nodes: { query: 3 },
      limits: {},
      features: ['backup'],
    });
    // What the code asks for that the product lacks cannot be granted, each refused by name.
    for (const [unknown, named] of [
      [{ ...grant, nodes: { query: 3, gpu: 4 } }, '"gpu" is not one of the roles of graphdb'],
      [{ ...grant, limits: { max_users: 100_000 } }, '"max_users" is not one of the limits of graphdb'],
      [{ ...grant, features: ['federation'] }, '"federation" is not a feature of graphdb'],
    ] satisfies [RequestCodeGrant, string][]) {
      const refused = await codes.issue(code, { customerId, productId, grant: unknown }, STAFF);
      expect(refused).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
      expect(!refused.ok && refused.detail).toContain(named);
    }
  });

  it('issues only a stated grant: none, nothing at all, or a term outside 1 to 120 months is refused', async () => {
    const code = unwrap(createRequestCode(asked, makeLm()));
    const before = await handle.db.selectFrom('licenses').select('id').execute();
    const none = await codes.issue(code, { customerId, productId } as never, STAFF);
    expect(none).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(!none.ok && none.detail).toMatch(/^State what to grant/);
    for (const [grant, sentence] of [
      [{ ...asAsked, nodes: { query: 0, storage: 0 } }, 'grant nodes must give at least one node of some role.'],
      [{ ...asAsked, nodes: {} }, 'grant nodes must name at least one role.'],
      [{ ...asAsked, months: 0 }, 'grant months must be a whole number from 1 to 120.'],
      [{ ...asAsked, months: 121 }, 'grant months must be a whole number from 1 to 120.'],
      [{ ...asAsked, months: 1.5 }, 'grant months must be a whole number from 1 to 120.'],
    ] as const) {
      expect(await codes.issue(code, { customerId, productId, grant }, STAFF)).toEqual({
        ok: false,
        code: 'BAD_REQUEST',
        detail: sentence,
      });
    }
    expect(await handle.db.selectFrom('licenses').select('id').execute()).toHaveLength(before.length);
  });

  it('with licenseId the same license gets the new grant at a higher serial, and a new key', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    const first = unwrap(await codes.issue(code, { customerId, productId, grant: asAsked }, STAFF));
    const grant: RequestCodeGrant = {
      nodes: { query: 2, storage: 7 },
      limits: { remote_clusters: 1 },
      features: ['scan', 'backup'],
      months: 1,
    };
    const again = unwrap(await codes.issue(code, { customerId, productId, licenseId: first.license.id, grant }, STAFF));
    expect(again.license).toMatchObject({ id: first.license.id, serial: 2 });
    expect(again.license.expiresAt).toBe(Date.parse('2026-12-24T12:00:00Z'));
    expect(again.offlineKey).not.toBe(first.offlineKey);
    const read = unwrap(readLicense(again.offlineKey, trust));
    expect(read).toMatchObject({ id: first.license.id, serial: 2, lmid: lm.lmid });
    expect({ nodes: read.nodes, limits: read.limits, features: read.features }).toEqual({
      nodes: grant.nodes,
      limits: grant.limits,
      features: grant.features,
    });
  });

  it('refuses another product, customer or LMID, and never rebinds through a request code', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    expect(
      await codes.issue(
        code,
        { customerId, productId: otherProductId, grant: { ...asAsked, nodes: { query: 1 }, limits: {}, features: [] } },
        STAFF,
      ),
    ).toMatchObject({
      ok: false,
      code: 'PRODUCT_MISMATCH',
    });
    expect(await codes.issue(code, { customerId, productId: 'prd_nope', grant: asAsked }, STAFF)).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
    expect(await codes.issue(code, { customerId: 'cus_nope', productId, grant: asAsked }, STAFF)).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
    const issued = unwrap(await codes.issue(code, { customerId, productId, grant: asAsked }, STAFF));
    // Another customer's license is not found; a license bound to another LMID is refused, pointing to rebind.
    expect(
      await codes.issue(code, { customerId: otherCustomerId, productId, licenseId: issued.license.id, grant: asAsked }, STAFF),
    ).toMatchObject({
      ok: false,
      code: 'NOT_FOUND',
    });
    const otherCode = unwrap(createRequestCode(asked, makeLm()));
    const rebind = await codes.issue(otherCode, { customerId, productId, licenseId: issued.license.id, grant: asAsked }, STAFF);
    expect(rebind).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(!rebind.ok && rebind.detail).toContain('rebind it first');
    expect(unwrap(await licenses.get(issued.license.id, { customerId: null }))).toMatchObject({ serial: 1, lmid: lm.lmid });
  });

  it('audits the issue with the LMID and license id, and never the code text or the contact', async () => {
    const lm = makeLm();
    const code = unwrap(createRequestCode(asked, lm));
    const { license } = unwrap(await codes.issue(code, { customerId, productId, grant: asAsked }, 'usr_sales'));
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
