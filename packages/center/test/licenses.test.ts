import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveLmid, fingerprintDigest, generateEd25519, parseOnlineKey, parseTrustBundle, rawPublicKey, readLicense } from '@tessera/core';
import type { TrustBundle } from '@tessera/core';
import type { DatabaseHandle } from '../src/db/connect.js';
import { newId } from '../src/ids.js';
import type { AuditLog } from '../src/services/audit/audit.js';
import { addMonths } from '../src/services/licenses/licenses.js';
import type { LicenseView, Licenses } from '../src/services/licenses/licenses.js';
import type { Catalogue } from '../src/services/catalogue/catalogue.js';
import { onlineKeyFor, onlineKeyHash } from '../src/services/licenses/online-keys.js';
import type { SigningKeys } from '../src/services/trust/signing-keys.js';
import { DIALECTS } from './support/databases.js';
import type { TestDatabase } from './support/databases.js';
import { DAY, openLicensing, STAFF, T0, unwrap } from './support/licensing.js';

function newLmid(): string {
  return deriveLmid(rawPublicKey(generateEd25519().publicKey), fingerprintDigest(`machine:${randomBytes(8).toString('hex')}`));
}

/** The same LMID with its check character changed: a typo the check must catch. */
function mistyped(lmid: string): string {
  const last = lmid.at(-1)!;
  return lmid.slice(0, -1) + (last === '0' ? '1' : '0');
}

describe('ids and online keys', () => {
  it('ids carry their prefix and 20 random characters, and do not repeat', () => {
    const ids = Array.from({ length: 1000 }, () => newId('lic_'));
    for (const id of ids) expect(id).toMatch(/^lic_[0-9a-hjkmnp-tv-z]{20}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(newId('mail_')).toMatch(/^mail_[0-9a-z]{20}$/);
  });

  it('an online key is derived from the master key and the license id: valid, stable, different per license and master key', () => {
    const master = randomBytes(32);
    const key = onlineKeyFor(master, 'lic_a');
    expect(parseOnlineKey(key)).toEqual({ ok: true, value: key });
    expect(onlineKeyFor(master, 'lic_a')).toBe(key);
    expect(onlineKeyFor(master, 'lic_b')).not.toBe(key);
    expect(onlineKeyFor(randomBytes(32), 'lic_a')).not.toBe(key);
    expect(onlineKeyHash(key)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('renewals add calendar months, clamped to the end of a shorter month', () => {
    expect(new Date(addMonths(Date.parse('2026-01-31T10:00:00Z'), 1)).toISOString()).toBe('2026-02-28T10:00:00.000Z');
    expect(new Date(addMonths(Date.parse('2026-11-24T00:00:00Z'), 12)).toISOString()).toBe('2027-11-24T00:00:00.000Z');
    expect(new Date(addMonths(Date.parse('2027-12-15T00:00:00Z'), 1)).toISOString()).toBe('2028-01-15T00:00:00.000Z');
  });
});

describe.each(DIALECTS)('licenses on %s', (dialect) => {
  let target: TestDatabase;
  let handle: DatabaseHandle;
  let keys: SigningKeys;
  let audit: AuditLog;
  let licenses: Licenses;
  let catalogue: Catalogue;
  let trust: TrustBundle;
  const clock = { at: T0, now: () => clock.at };
  const masterKey = randomBytes(32);
  let productId: string;
  let customerId: string;
  let otherCustomerId: string;

  beforeAll(async () => {
    const opened = await openLicensing(dialect, clock, masterKey);
    ({ target, handle, licenses, catalogue } = opened);
    keys = opened.keys;
    audit = opened.audit;
    trust = unwrap(parseTrustBundle(await keys.trustBundle()));
    productId = unwrap(
      await catalogue.createProduct(
        { slug: 'graphdb', name: 'Graph DB', roles: ['query', 'storage'], limits: ['remote_clusters'], features: ['scan', 'backup'] },
        STAFF,
      ),
    ).id;
    customerId = unwrap(await catalogue.createCustomer({ name: 'Acme Corp' }, STAFF)).id;
    otherCustomerId = unwrap(await catalogue.createCustomer({ name: 'Other Inc' }, STAFF)).id;
  });
  afterAll(async () => {
    await handle.close();
    await target.drop();
  });

  const sell = async (change: Partial<Parameters<Licenses['createLicense']>[0]> = {}): Promise<LicenseView> =>
    unwrap(
      await licenses.createLicense(
        { customerId, productId, nodes: { query: 3, storage: 5 }, startsAt: T0 - DAY, expiresAt: T0 + 365 * DAY, ...change },
        STAFF,
      ),
    );
  const changes = (licenseId: string) =>
    handle.db.selectFrom('license_changes').select(['kind', 'serial', 'actor']).where('license_id', '=', licenseId).orderBy('id').execute();

  it('creates products, customers and licenses: serial 1, offline, defaults 30/14, no LMID', async () => {
    const product = await handle.db.selectFrom('products').selectAll().where('id', '=', productId).executeTakeFirstOrThrow();
    expect(product).toMatchObject({ slug: 'graphdb', roles: '["query","storage"]' });
    expect(productId).toMatch(/^prd_/);
    expect(customerId).toMatch(/^cus_/);
    const license = await sell({ limits: { remote_clusters: 2 }, features: ['scan'] });
    expect(license).toMatchObject({
      customerId,
      productId,
      serial: 1,
      mode: 'offline',
      lmid: null,
      warnDays: 30,
      graceDays: 14,
      status: 'active',
      nodes: { query: 3, storage: 5 },
      limits: { remote_clusters: 2 },
      features: ['scan'],
      startsAt: T0 - DAY,
      expiresAt: T0 + 365 * DAY,
    });
    expect(license.id).toMatch(/^lic_/);
    expect(license.onlineKeyMasked).toMatch(/^\*{5}-\*{5}-\*{5}-\*{5}-[0-9A-Z]{5}$/);
    expect(await changes(license.id)).toEqual([{ kind: 'created', serial: 1, actor: STAFF }]);
    expect(unwrap(await licenses.get(license.id, { customerId }))).toEqual(license);
  });

  it('refuses products and licenses outside the rules, with codes', async () => {
    expect(await catalogue.createProduct({ slug: 'graphdb', name: 'Again', roles: ['q'], limits: [], features: [] }, STAFF)).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    });
    expect(await catalogue.createProduct({ slug: 'Bad Slug', name: 'x', roles: ['q'], limits: [], features: [] }, STAFF)).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    });
    const refused = async (change: Parameters<typeof sell>[0]) =>
      licenses.createLicense(
        { customerId, productId, nodes: { query: 1 }, startsAt: T0, expiresAt: T0 + DAY, ...change } as Parameters<
          Licenses['createLicense']
        >[0],
        STAFF,
      );
    expect(await refused({ nodes: { compute: 1 } })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await refused({ nodes: {} })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await refused({ nodes: { query: -1 } })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await refused({ features: ['teleport'] })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await refused({ limits: { seats: 1 } })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await refused({ expiresAt: T0 })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await refused({ productId: 'prd_nope' })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await refused({ customerId: 'cus_nope' })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('binds an LMID once: the check character is validated, a second bind is refused (customer and staff alike), the vendor rebinds', async () => {
    const license = await sell();
    const lmid = newLmid();
    expect(await licenses.bindLmid(license.id, mistyped(lmid), { customerId }, 'usr_c')).toMatchObject({
      ok: false,
      code: 'CHECKSUM_MISMATCH',
    });
    expect(await licenses.bindLmid(license.id, 'QPDH-7K2M', { customerId }, 'usr_c')).toMatchObject({ ok: false, code: 'MALFORMED' });
    // Typed loosely (lower case, no hyphens): stored canonical.
    const bound = unwrap(await licenses.bindLmid(license.id, lmid.replaceAll('-', '').toLowerCase(), { customerId }, 'usr_c'));
    expect(bound).toMatchObject({ lmid, serial: 2 });
    // The same LMID again changes nothing.
    expect(unwrap(await licenses.bindLmid(license.id, lmid, { customerId }, 'usr_c')).serial).toBe(2);

    const other = newLmid();
    const second = await licenses.bindLmid(license.id, other, { customerId }, 'usr_c');
    expect(second).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(!second.ok && second.detail).toContain(`already bound to License Manager ${lmid}; ask the vendor to rebind`);
    // One way to rebind: bindLmid refuses staff too, and points to rebind() (a reason, a yearly limit).
    const staffBind = await licenses.bindLmid(license.id, other, { customerId: null }, STAFF);
    expect(staffBind).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(!staffBind.ok && staffBind.detail).toContain('rebind it with a reason instead');
    expect(unwrap(await licenses.rebind(license.id, other, 'Host replaced (ticket 42)', STAFF, { rebindsPerYear: 3 }))).toMatchObject({
      lmid: other,
      serial: 3,
    });
    expect(await changes(license.id)).toEqual([
      { kind: 'created', serial: 1, actor: STAFF },
      { kind: 'bound', serial: 2, actor: 'usr_c' },
      { kind: 'rebound', serial: 3, actor: STAFF },
    ]);
  });

  it('rebind: staff only, a reason of at most 500 characters, raises the serial, audited with the reason', async () => {
    const license = await sell();
    const first = newLmid();
    const rules = { rebindsPerYear: 3 };
    // Unbound: there is nothing to rebind.
    expect(await licenses.rebind(license.id, first, 'new host', STAFF, rules)).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    unwrap(await licenses.bindLmid(license.id, first, { customerId }, 'usr_c'));
    const second = newLmid();
    for (const reason of ['', '   ', 'x'.repeat(501)]) {
      const refused = await licenses.rebind(license.id, second, reason, STAFF, rules);
      expect(refused).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    }
    expect(await licenses.rebind(license.id, mistyped(second), 'new host', STAFF, rules)).toMatchObject({
      ok: false,
      code: 'CHECKSUM_MISMATCH',
    });
    expect(await licenses.rebind('lic_nope', second, 'new host', STAFF, rules)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await changes(license.id)).toHaveLength(2);

    clock.at += 1000;
    const rebound = unwrap(await licenses.rebind(license.id, second, '  Disk died; ticket 7781  ', STAFF, rules));
    expect(rebound).toMatchObject({ lmid: second, serial: 3 });
    // The same LMID again is no change and does not count.
    expect(unwrap(await licenses.rebind(license.id, second, 'again', STAFF, rules)).serial).toBe(3);
    const events = await audit.list({ subject: license.id });
    const event = events.find((e) => e.action === 'license.rebound');
    expect(event?.actor).toBe(STAFF);
    expect(event?.data).toMatchObject({ serial: 3, lmid: second, previous: first, reason: 'Disk died; ticket 7781' });
    // The signed license follows: the offline key now names the new LMID.
    const read = unwrap(readLicense(unwrap(await licenses.key(license.id, { customerId })).key, trust));
    expect(read).toMatchObject({ lmid: second, serial: 3 });
  });

  it('rebind: at most N in any 365 days; the N+1th is refused with a sentence naming the limit and the date of the next', async () => {
    const license = await sell();
    unwrap(await licenses.bindLmid(license.id, newLmid(), { customerId }, 'usr_c'));
    const rules = { rebindsPerYear: 2 };
    const start = clock.at;
    unwrap(await licenses.rebind(license.id, newLmid(), 'host 1 replaced', STAFF, rules));
    clock.at = start + 100 * DAY;
    unwrap(await licenses.rebind(license.id, newLmid(), 'host 2 replaced', STAFF, rules));
    clock.at = start + 200 * DAY;
    const refused = await licenses.rebind(license.id, newLmid(), 'host 3 replaced', STAFF, rules);
    expect(refused).toMatchObject({ ok: false, code: 'RATE_LIMITED' });
    const sentence = !refused.ok ? refused.detail : '';
    expect(sentence).toContain('at most 2 rebinds in 365 days');
    expect(sentence).toContain(`The next rebind is possible from ${new Date(start + 365 * DAY).toISOString()}`);
    expect(unwrap(await licenses.get(license.id, { customerId: null })).serial).toBe(4);
    // Just before a year after the first: still refused; a year after it: allowed again.
    clock.at = start + 365 * DAY - 1;
    expect(await licenses.rebind(license.id, newLmid(), 'host 3 replaced', STAFF, rules)).toMatchObject({
      ok: false,
      code: 'RATE_LIMITED',
    });
    clock.at = start + 365 * DAY;
    expect(unwrap(await licenses.rebind(license.id, newLmid(), 'host 3 replaced', STAFF, rules)).serial).toBe(5);
    // A limit of 0 turns rebinding off.
    const off = await licenses.rebind(license.id, newLmid(), 'host 4', STAFF, { rebindsPerYear: 0 });
    expect(!off.ok && off.detail).toContain('Rebinding is turned off');
    clock.at = T0;
  });

  it("another customer's scope sees no license: NOT_FOUND for get, bind, mode and key alike", async () => {
    const license = await sell();
    const scope = { customerId: otherCustomerId };
    expect(await licenses.get(license.id, scope)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await licenses.bindLmid(license.id, newLmid(), scope, 'usr_x')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await licenses.setMode(license.id, 'online', scope, 'usr_x')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await licenses.key(license.id, scope)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await licenses.get('lic_nope', { customerId: null })).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(unwrap(await licenses.get(license.id, { customerId: null })).serial).toBe(1);
    expect(await changes(license.id)).toHaveLength(1);
  });

  it('renew and expand raise the serial, with license_changes rows and an intact audit chain', async () => {
    const license = await sell();
    clock.at += 1000;
    const renewed = unwrap(await licenses.renew(license.id, 12, STAFF));
    expect(renewed).toMatchObject({ serial: 2, expiresAt: addMonths(T0 + 365 * DAY, 12), updatedAt: T0 + 1000 });
    const monthly = unwrap(await licenses.renew(license.id, 1, STAFF));
    expect(monthly).toMatchObject({ serial: 3, expiresAt: addMonths(renewed.expiresAt, 1) });
    const expanded = unwrap(await licenses.expand(license.id, { storage: 2 }, STAFF));
    expect(expanded).toMatchObject({ serial: 4, nodes: { query: 3, storage: 7 } });
    expect(await licenses.expand(license.id, { compute: 1 }, STAFF)).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await licenses.expand(license.id, { query: 0 }, STAFF)).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await licenses.renew(license.id, 6 as 1, STAFF)).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await licenses.renew('lic_nope', 1, STAFF)).toMatchObject({ ok: false, code: 'NOT_FOUND' });
    expect(await changes(license.id)).toEqual([
      { kind: 'created', serial: 1, actor: STAFF },
      { kind: 'renewed', serial: 2, actor: STAFF },
      { kind: 'renewed', serial: 3, actor: STAFF },
      { kind: 'expanded', serial: 4, actor: STAFF },
    ]);
    const events = await audit.list({ subject: license.id });
    expect(events.map((e) => [e.action, e.data.serial])).toEqual([
      ['license.expanded', 4],
      ['license.renewed', 3],
      ['license.renewed', 2],
      ['license.created', 1],
    ]);
    expect(await audit.verify()).toMatchObject({ ok: true });
  });

  it('key(): the online key is derived and stable, and stored nowhere in clear', async () => {
    const license = await sell({ mode: 'online' });
    const first = unwrap(await licenses.key(license.id, { customerId }));
    expect(first.mode).toBe('online');
    expect(parseOnlineKey(first.key)).toEqual({ ok: true, value: first.key });
    expect(unwrap(await licenses.key(license.id, { customerId: null }))).toEqual(first);
    expect(first.key.slice(-5)).toBe(license.onlineKeyMasked.slice(-5));
    const row = await handle.db.selectFrom('licenses').selectAll().where('id', '=', license.id).executeTakeFirstOrThrow();
    expect(row.online_key_hash).toBe(onlineKeyHash(first.key));
    const compact = first.key.replaceAll('-', '');
    for (const table of ['licenses', 'license_changes', 'audit_events'] as const) {
      const dump = JSON.stringify(await handle.db.selectFrom(table).selectAll().execute());
      expect(dump).not.toContain(first.key);
      expect(dump).not.toContain(compact);
    }
  });

  it('key(): the offline key is the signed license, bound to the LMID, verifying against the trust bundle', async () => {
    const license = await sell({ limits: { remote_clusters: 2 }, features: ['scan', 'backup'] });
    expect(await licenses.key(license.id, { customerId })).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    const lmid = newLmid();
    unwrap(await licenses.bindLmid(license.id, lmid, { customerId }, 'usr_c'));
    const offline = unwrap(await licenses.key(license.id, { customerId }));
    expect(offline.mode).toBe('offline');
    const read = unwrap(readLicense(offline.key, trust));
    expect(read).toMatchObject({
      id: license.id,
      serial: 2,
      product: 'graphdb',
      customer: { id: customerId, name: 'Acme Corp' },
      nodes: { query: 3, storage: 5 },
      limits: { remote_clusters: 2 },
      features: ['scan', 'backup'],
      startsAt: new Date(T0 - DAY).toISOString(),
      expiresAt: new Date(T0 + 365 * DAY).toISOString(),
      warnDays: 30,
      graceDays: 14,
      mode: 'offline',
      lmid,
    });
    const online = unwrap(await licenses.setMode(license.id, 'online', { customerId }, 'usr_c'));
    expect(online).toMatchObject({ mode: 'online', serial: 3 });
    expect(unwrap(await licenses.setMode(license.id, 'online', { customerId }, 'usr_c')).serial).toBe(3);
    expect(unwrap(await licenses.key(license.id, { customerId }))).toEqual({ mode: 'online', key: onlineKeyFor(masterKey, license.id) });
    expect(unwrap(readLicense((await licenses.signedText(license.id))!, trust))).toMatchObject({ serial: 3, mode: 'online' });
  });

  it('signedText signs once per serial and keeps the text; a change signs anew; unbound is null', async () => {
    const license = await sell();
    expect(await licenses.signedText(license.id)).toBeNull();
    expect(await licenses.signedText('lic_nope')).toBeNull();
    unwrap(await licenses.bindLmid(license.id, newLmid(), { customerId }, 'usr_c'));
    const first = (await licenses.signedText(license.id))!;
    const signedBy = unwrap(readLicense(first, trust)).kid;
    expect(
      await handle.db.selectFrom('licenses').select(['signed_serial', 'signed_text']).where('id', '=', license.id).executeTakeFirst(),
    ).toEqual({
      signed_serial: 2,
      signed_text: first,
    });
    // A new active key: a re-signing would show its kid. The stored text is served instead.
    await keys.rotate();
    expect(await licenses.signedText(license.id)).toBe(first);
    expect(unwrap(await licenses.key(license.id, { customerId })).key).toBe(first);

    unwrap(await licenses.expand(license.id, { query: 1 }, STAFF));
    const second = (await licenses.signedText(license.id))!;
    const read = unwrap(readLicense(second, unwrap(parseTrustBundle(await keys.trustBundle()))));
    expect(read).toMatchObject({ serial: 3, nodes: { query: 4, storage: 5 } });
    expect(read.kid).not.toBe(signedBy);
    trust = unwrap(parseTrustBundle(await keys.trustBundle()));
  });

  it('a stale row signs the current serial and does not overwrite the text of a newer serial', async () => {
    const license = await sell();
    unwrap(await licenses.bindLmid(license.id, newLmid(), { customerId }, 'usr_c'));
    const stale = await handle.db.selectFrom('licenses').selectAll().where('id', '=', license.id).executeTakeFirstOrThrow();
    unwrap(await licenses.renew(license.id, 1, STAFF));
    const current = (await licenses.signedText(license.id))!;
    // An instance that read serial 2 before the renewal asks for its text now: signing reads the license again with
    // its product (whose outage grace must be the one of the serial it signs), so it gets serial 3's stored text.
    const staleText = (await licenses.signedTextOf(stale))!;
    expect(staleText).toBe(current);
    const row = await handle.db
      .selectFrom('licenses')
      .select(['signed_serial', 'signed_text'])
      .where('id', '=', license.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ signed_serial: 3, signed_text: current });
  });
});
