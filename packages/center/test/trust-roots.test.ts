/**
 * Trust rooted in the product, on the License Center's side (both dialects): the root made on the first start and
 * printed for products, the root-signed bundle with a serial that only grows, handed out in the trust file and with
 * every sync answer, a root rotation in its steps, and a revocation that re-signs what the revoked key signed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnvelope, parseTrustRoots, readLicense, readSignedTrustBundle, readTrustFile } from '@tessera/core';
import type { TrustRoot } from '@tessera/core';
import { DIALECTS } from './support/databases.js';
import { startTestCenter, staffWorld } from './support/http.js';
import type { StaffWorld, TestCenter } from './support/http.js';
import { makeLm, syncRequestOf, unwrap } from './support/licensing.js';
import { statementsFor } from '../src/db/dialects/index.js';
import { Licenses } from '../src/services/licenses/licenses.js';
import { SigningKeys } from '../src/services/trust/signing-keys.js';

const DAY = 86_400_000;

describe.each(DIALECTS)('trust roots and bundles on %s', (dialect) => {
  let tc: TestCenter;
  let world: StaffWorld;
  let roots: TrustRoot[];

  /** The trust file the License Center serves, which must be the root-signed kind. */
  const trustFile = async () => {
    const file = unwrap(readTrustFile(await (await fetch(`${tc.center.url}/v1/trust-bundle`)).text()));
    if (file.kind !== 'signed') throw new Error('the trust file is a legacy one');
    return file;
  };
  /** A license sold to the world's customer, bound to `lm`, in `mode`; with its online key when online. */
  const boundLicense = async (lm: ReturnType<typeof makeLm>, mode: 'online' | 'offline') => {
    const now = tc.clock.now();
    const created = await world.sales.post('/v1/staff/licenses', {
      customerId: world.customerId,
      productId: world.productId,
      nodes: { query: 1 },
      startsAt: now - DAY,
      expiresAt: now + 365 * DAY,
      mode,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await world.customer.post(`/v1/licenses/${id}/bind`, { lmid: lm.lmid })).status).toBe(200);
    const key = await world.customer.get(`/v1/licenses/${id}/key`);
    expect(key.status).toBe(200);
    return { id, key: key.body.key as string };
  };
  const sync = async (lm: ReturnType<typeof makeLm>, onlineKey: string, known: { licenseId: string; serial: number } | null) =>
    fetch(`${tc.center.url}/v1/lm/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ request: syncRequestOf(lm, onlineKey, { known }) }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, any> }));

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    world = await staffWorld(tc);
    roots = unwrap(parseTrustRoots((await tc.center.services.roots.published()).map((r) => r.root)));
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('makes one root on the first start and hands out a trust file whose bundle that root signed', async () => {
    const published = await tc.center.services.roots.published();
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      state: 'active',
      root: expect.stringMatching(/^tessera-root:/),
      kid: expect.stringMatching(/^r/),
    });
    const file = await trustFile();
    expect(file.roots.map((r) => r.kid)).toEqual([published[0]!.kid]);
    const keys = await tc.center.services.keys.list();
    expect([...file.bundle.keys.keys()]).toEqual(keys.map((k) => k.kid));
    // The key counts 1 (active) and the root 2 (active): the serial of a first bundle.
    expect(file.bundle.serial).toBe(3);
    // The product's check: the bundle verifies with the root it is built with, not with the roots the file names.
    expect(readSignedTrustBundle(file.bundle.text, roots)).toMatchObject({ ok: true });
  });

  it('sends the signed bundle with every sync answer; a rotation and a revocation raise its serial', async () => {
    const lm = makeLm();
    const { id } = await boundLicense(lm, 'online');
    const online = await world.customer.get(`/v1/licenses/${id}/key`);
    const onlineKey = online.body.key as string;
    const first = await sync(lm, onlineKey, null);
    expect(first.status).toBe(200);
    const before = unwrap(readSignedTrustBundle(first.body.trust, roots));
    const unchanged = await sync(lm, onlineKey, { licenseId: id, serial: unwrap(readLicense(first.body.license, before)).serial });
    expect(unchanged.body).toMatchObject({ changed: false, trust: first.body.trust });

    const rotated = await world.admin.post('/v1/staff/keys/rotate');
    expect(rotated.status).toBe(201);
    const afterRotation = unwrap(readSignedTrustBundle((await sync(lm, onlineKey, null)).body.trust, roots));
    expect(afterRotation.serial).toBeGreaterThan(before.serial);
    expect(afterRotation.keys.get(rotated.body.kid)?.state).toBe('active');

    const revoked = await world.admin.post(`/v1/staff/keys/${rotated.body.kid}/revoke`);
    expect(revoked.status).toBe(200);
    const afterRevocation = unwrap(readSignedTrustBundle((await sync(lm, onlineKey, null)).body.trust, roots));
    expect(afterRevocation.serial).toBeGreaterThan(afterRotation.serial);
    expect(afterRevocation.keys.get(rotated.body.kid)?.state).toBe('revoked');
  });

  it('re-signs every active license the revoked key signed, lists the offline ones with whom to contact, and says why in the history', async () => {
    const [offlineLm, onlineLm] = [makeLm(), makeLm()];
    const offline = await boundLicense(offlineLm, 'offline');
    const online = await boundLicense(onlineLm, 'online');
    const onlineText = unwrap(readTrustFile(await fetch(`${tc.center.url}/v1/trust-bundle`).then((r) => r.text()))).bundle;
    const firstSync = await sync(onlineLm, online.key, null);
    const onlineLicense = unwrap(readLicense(firstSync.body.license, onlineText));
    const leaked = onlineLicense.kid;
    expect(unwrap(readLicense(offline.key, onlineText)).kid).toBe(leaked);

    const revoked = await world.admin.post(`/v1/staff/keys/${leaked}/revoke`);
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ kid: leaked, state: 'revoked' });
    const resigned = revoked.body.resigned as { licenseId: string; serial: number; mode: string }[];
    expect(resigned).toEqual(
      expect.arrayContaining([
        { licenseId: offline.id, serial: expect.any(Number), mode: 'offline' },
        { licenseId: online.id, serial: onlineLicense.serial + 1, mode: 'online' },
      ]),
    );
    expect(revoked.body.offline).toContainEqual({
      licenseId: offline.id,
      customerId: world.customerId,
      customer: expect.any(String),
      contacts: ['buyer@acme.example'],
    });

    // The online LM's next sync brings the new serial, signed by the new active key, which the bundle trusts.
    const bundle = (await trustFile()).bundle;
    const next = await sync(onlineLm, online.key, { licenseId: online.id, serial: onlineLicense.serial });
    expect(next.body.changed).toBe(true);
    const reissued = unwrap(readLicense(next.body.license, bundle));
    expect(reissued.serial).toBe(onlineLicense.serial + 1);
    expect(reissued.kid).not.toBe(leaked);
    // The offline key the customer copies now is the re-signed one; the old copy is refused KEY_REVOKED.
    const newKey = await world.customer.get(`/v1/licenses/${offline.id}/key`);
    expect(parseEnvelope(newKey.body.key, 'license')).toMatchObject({ ok: true, value: { kid: reissued.kid } });
    expect(readLicense(offline.key, bundle)).toMatchObject({ ok: false, code: 'KEY_REVOKED' });
    const history = await world.admin.get(`/v1/staff/licenses/${offline.id}`);
    expect(JSON.stringify(history.body)).toContain(`vendor key ${leaked} was revoked`);

    // Revoking it again re-signs nothing more: every license is already under the new key.
    const again = await world.admin.post(`/v1/staff/keys/${leaked}/revoke`);
    expect(again.body).toMatchObject({ state: 'revoked', resigned: [], offline: [] });
    // One audit event for the revocation, not one per call.
    expect((await world.audited(leaked)).filter((e) => e.action === 'signing_key.revoked')).toHaveLength(1);
    expect((await world.admin.post('/v1/staff/keys/kNOSUCHKEY000/revoke')).status).toBe(404);
  });

  it('never keeps a license signed by a key revoked on another instance, whose cached active key it still was', async () => {
    const lm = makeLm();
    const { id } = await boundLicense(lm, 'offline');
    const { db, dialect, audit } = tc.center.services;
    // Instance B of the same database: its active signing key is cached (as for signing sync time tokens).
    const keysB = new SigningKeys({ db, dialect: statementsFor(dialect), masterKey: tc.center.services.config.masterKey, clock: tc.clock });
    const licensesB = new Licenses({
      db,
      dialect: statementsFor(dialect),
      keys: keysB,
      audit,
      masterKey: tc.center.services.config.masterKey,
      clock: tc.clock,
    });
    const cached = await keysB.active();
    // Instance A revokes that key (it leaked).
    expect((await world.admin.post(`/v1/staff/keys/${cached.kid}/revoke`)).status).toBe(200);
    // B then renews the license: the text it signs for the new serial is under the key active now, not the revoked one.
    unwrap(await licensesB.renew(id, 1, 'usr_test'));
    const text = await licensesB.signedText(id);
    const bundle = (await trustFile()).bundle;
    expect(readLicense(text, bundle)).toMatchObject({ ok: true });
    expect(parseEnvelope(text!, 'license')).toMatchObject({ ok: true, value: { kid: expect.not.stringMatching(cached.kid) } });
  });

  it('rotates the root in steps: next is published beside the active one, activate switches the signer', async () => {
    const { roots: service } = tc.center.services;
    const active = (await service.published())[0]!;
    const before = (await trustFile()).bundle.serial;
    const next = await service.createNext();
    expect(next.state).toBe('next');
    expect(await service.createNext()).toEqual(next); // asked twice, still one next root
    expect(await trustFile()).toMatchObject({ roots: [{ kid: active.kid }, { kid: next.kid }] });
    // Still signed by the active root, at a higher serial: License Managers adopt it, and with it the endorsement
    // of the next root, which they follow (products never do).
    const published = (await trustFile()).bundle;
    expect(published).toMatchObject({ rootKid: active.kid });
    expect(published.serial).toBeGreaterThan(before);

    expect(unwrap(await service.activate(next.kid))).toMatchObject({ kid: next.kid, state: 'active' });
    tc.center.services.trustBundles.forget();
    const after = await trustFile();
    expect(after.bundle).toMatchObject({ rootKid: next.kid });
    expect(after.roots.map((r) => r.kid)).toEqual([next.kid]);
    expect(after.bundle.serial).toBeGreaterThan(published.serial);
    // A product built with both roots accepts the new bundle; one built only with the old root refuses it.
    const both = unwrap(parseTrustRoots([active.root, next.root]));
    expect(readSignedTrustBundle(after.bundle.text, both)).toMatchObject({ ok: true });
    expect(readSignedTrustBundle(after.bundle.text, roots)).toMatchObject({ ok: false, code: 'UNTRUSTED_ROOT' });
    // A License Manager whose trust file names only the old root follows the chain the bundle carries.
    expect(readSignedTrustBundle(after.bundle.text, roots, { followEndorsements: true })).toMatchObject({ ok: true });
    expect(await service.activate(active.kid)).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await service.activate('rNOSUCHROOT00')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('signs the same bundle bytes on two instances of one database', async () => {
    const { keys, roots: service, trustBundles } = tc.center.services;
    const { TrustBundles } = await import('../src/services/trust/trust-bundles.js');
    const other = new TrustBundles({ keys, roots: service, clock: tc.clock });
    trustBundles.forget();
    expect(await other.signed()).toBe(await trustBundles.signed());
  });
});
