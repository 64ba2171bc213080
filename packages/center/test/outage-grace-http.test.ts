/**
 * Outage grace over real HTTP on each dialect: a product's default (72 for a new product, 0 strict) and a license's
 * own value are signed into the license as outageGraceHours (read back with core; left out at 0, as before the field
 * existed); changing either re-signs with a raised serial and a history entry; an online License Manager gets the
 * re-signed license at its next sync; bad values and the wrong role are refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLicense, readTrustFile } from '@tessera/core';
import type { TrustBundle } from '@tessera/core';
import { DIALECTS } from './support/databases.js';
import { staffWorld, startTestCenter } from './support/http.js';
import type { StaffWorld, TestCenter } from './support/http.js';
import { makeLm, syncRequestOf, unwrap } from './support/licensing.js';

const DAY = 86_400_000;

/** The signed fields of an offline key as they are in the text (not as core reads them, with defaults). */
const payloadOf = (key: string) => JSON.parse(Buffer.from(key.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

describe.each(DIALECTS)('outage grace on %s', (dialect) => {
  let tc: TestCenter;
  let world: StaffWorld;
  let trust: TrustBundle;
  let slugs = 0;

  /** A product of the admin's (outageGraceHours as given, or left out), and its id. */
  const product = async (outageGraceHours?: unknown) => {
    const made = await world.admin.post('/v1/staff/products', {
      slug: `grace${++slugs}`,
      name: 'Grace DB',
      roles: ['query'],
      ...(outageGraceHours === undefined ? {} : { outageGraceHours }),
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    return made.body as { id: string; slug: string; outageGraceHours: number };
  };
  /** A license of `productId`, bound to a new LM (offline unless said), and that LM. */
  const boundLicense = async (productId: string, mode: 'online' | 'offline' = 'offline') => {
    const now = tc.clock.now();
    const created = await world.sales.post('/v1/staff/licenses', {
      customerId: world.customerId,
      productId,
      nodes: { query: 2 },
      startsAt: now,
      expiresAt: now + 365 * DAY,
      mode,
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const lm = makeLm();
    expect((await world.customer.post(`/v1/licenses/${created.body.id}/bind`, { lmid: lm.lmid })).status).toBe(200);
    return { id: created.body.id as string, lm };
  };
  const offlineKey = async (licenseId: string) => {
    const key = await world.customer.get(`/v1/licenses/${licenseId}/key`);
    expect(key.status, JSON.stringify(key.body)).toBe(200);
    return key.body.key as string;
  };
  const setLicenseGrace = (licenseId: string, outageGraceHours: unknown, client = world.sales) =>
    client.put(`/v1/staff/licenses/${licenseId}/outage-grace`, { outageGraceHours });
  const setProductGrace = (productId: string, outageGraceHours: unknown, client = world.admin) =>
    client.put(`/v1/staff/products/${productId}/outage-grace`, { outageGraceHours });

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    world = await staffWorld(tc);
    trust = unwrap(readTrustFile(await (await fetch(`${tc.center.url}/v1/trust-bundle`)).text())).bundle;
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('a new product has 72 hours unless told; the signed license carries it, and a product with 0 signs no field at all', async () => {
    const graced = await product();
    expect(graced.outageGraceHours).toBe(72);
    const strict = await product(0);
    expect(strict.outageGraceHours).toBe(0);
    const listed = (await world.support.get('/v1/staff/products')).body.items as { id: string; outageGraceHours: number }[];
    expect(listed.find((p) => p.id === graced.id)?.outageGraceHours).toBe(72);
    expect(listed.find((p) => p.id === strict.id)?.outageGraceHours).toBe(0);

    const a = await boundLicense(graced.id);
    const keyA = await offlineKey(a.id);
    expect(unwrap(readLicense(keyA, trust)).outageGraceHours).toBe(72);
    expect(payloadOf(keyA).outageGraceHours).toBe(72);
    const details = await world.customer.get(`/v1/licenses/${a.id}`);
    expect(details.body.resources).toMatchObject({ outageGraceHours: 72, outageGraceOverride: null });

    const b = await boundLicense(strict.id);
    const keyB = await offlineKey(b.id);
    expect(unwrap(readLicense(keyB, trust)).outageGraceHours).toBe(0);
    // Strict is the field left out: the bytes a license signed before the field existed would have.
    expect(Object.keys(payloadOf(keyB))).not.toContain('outageGraceHours');
    expect((await world.customer.get(`/v1/licenses/${b.id}`)).body.resources).toMatchObject({
      outageGraceHours: 0,
      outageGraceOverride: null,
    });
  });

  it("a license's own grace re-signs it with a raised serial and a history entry; null follows the product again", async () => {
    const graced = await product(72);
    const license = await boundLicense(graced.id);
    const before = (await world.support.get(`/v1/staff/licenses/${license.id}`)).body.basic.serial as number;

    const set = await setLicenseGrace(license.id, 24);
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    expect(set.body).toMatchObject({ serial: before + 1, outageGraceHours: 24, outageGraceOverride: 24 });
    expect(unwrap(readLicense(await offlineKey(license.id), trust))).toMatchObject({ serial: before + 1, outageGraceHours: 24 });
    // The same value again changes nothing.
    expect((await setLicenseGrace(license.id, 24)).body.serial).toBe(before + 1);

    const strict = await setLicenseGrace(license.id, 0);
    expect(strict.body).toMatchObject({ serial: before + 2, outageGraceHours: 0, outageGraceOverride: 0 });
    expect(Object.keys(payloadOf(await offlineKey(license.id)))).not.toContain('outageGraceHours');

    const follow = await setLicenseGrace(license.id, null);
    expect(follow.body).toMatchObject({ serial: before + 3, outageGraceHours: 72, outageGraceOverride: null });
    expect(unwrap(readLicense(await offlineKey(license.id), trust)).outageGraceHours).toBe(72);

    const staffView = await world.support.get(`/v1/staff/licenses/${license.id}`);
    const changes = (staffView.body.history as { kind: string; serial: number; detail: unknown }[]).filter(
      (h) => h.kind === 'outage_grace',
    );
    expect(changes).toEqual([
      expect.objectContaining({ serial: before + 3, detail: { outageGraceHours: 72, previous: 0, source: 'product' } }),
      expect.objectContaining({ serial: before + 2, detail: { outageGraceHours: 0, previous: 24, source: 'license' } }),
      expect.objectContaining({ serial: before + 1, detail: { outageGraceHours: 24, previous: 72, source: 'license' } }),
    ]);
    // The customer sees the change of their signed license (the values), as a vendor's.
    const mine = await world.customer.get(`/v1/licenses/${license.id}`);
    expect(mine.body.history.find((h: { serial: number }) => h.serial === before + 1)).toMatchObject({
      kind: 'outage_grace',
      actor: 'vendor',
      detail: { outageGraceHours: 24, previous: 72 },
    });
    expect(await world.audited(license.id)).toContainEqual(
      expect.objectContaining({ action: 'license.outage_grace', serial: before + 1, outageGraceHours: 24, previous: 72 }),
    );
  });

  it("a product's new default re-signs every license that follows it, leaves those with their own, and reaches an online LM at its sync", async () => {
    const graced = await product();
    const following = await boundLicense(graced.id, 'online');
    const own = await boundLicense(graced.id);
    expect((await setLicenseGrace(own.id, 12)).status).toBe(200);
    const serialOf = async (id: string) => (await world.support.get(`/v1/staff/licenses/${id}`)).body.basic.serial as number;
    const [followingBefore, ownBefore] = [await serialOf(following.id), await serialOf(own.id)];

    // The online LM has the license at its current serial.
    const onlineKey = (await world.customer.get(`/v1/licenses/${following.id}/key`)).body.key as string;
    const sync = async (known: { licenseId: string; serial: number } | null) => {
      const answer = await fetch(`${tc.center.url}/v1/lm/sync`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request: syncRequestOf(following.lm, onlineKey, { known }) }),
      });
      expect(answer.status).toBe(200);
      const body = (await answer.json()) as { changed: boolean; license?: string };
      expect(body.changed).toBe(true);
      return unwrap(readLicense(body.license, trust));
    };
    expect(await sync(null)).toMatchObject({ serial: followingBefore, outageGraceHours: 72 });

    const changed = await setProductGrace(graced.id, 24);
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toEqual({ product: expect.objectContaining({ id: graced.id, outageGraceHours: 24 }), resignedLicenses: 1 });
    expect(await serialOf(own.id)).toBe(ownBefore);
    expect(await serialOf(following.id)).toBe(followingBefore + 1);
    // Its next sync, naming the serial it has, brings the re-signed license.
    expect(await sync({ licenseId: following.id, serial: followingBefore })).toMatchObject({
      serial: followingBefore + 1,
      outageGraceHours: 24,
    });
    expect(unwrap(readLicense(await offlineKey(own.id), trust)).outageGraceHours).toBe(12);

    const history = (await world.support.get(`/v1/staff/licenses/${following.id}`)).body.history;
    expect(history[0]).toMatchObject({
      kind: 'outage_grace',
      serial: followingBefore + 1,
      actor: world.adminId,
      detail: { outageGraceHours: 24, previous: 72, source: 'product' },
    });
    expect(await world.audited(graced.id)).toContainEqual({
      action: 'product.outage_grace',
      outageGraceHours: 24,
      previous: 72,
      resignedLicenses: 1,
    });
    // The same default again re-signs nothing.
    expect((await setProductGrace(graced.id, 24)).body.resignedLicenses).toBe(0);
    expect(await serialOf(following.id)).toBe(followingBefore + 1);
  });

  it("a product's new default while its licenses change and new ones are made: every write succeeds, every license is signed with what it shows", async () => {
    const graced = await product();
    const licenses = await Promise.all([1, 2, 3, 4, 5, 6].map(() => boundLicense(graced.id)));
    const now = tc.clock.now();
    const answers = await Promise.all([
      setProductGrace(graced.id, 6),
      ...licenses.map(({ id }, i) =>
        i % 3 === 0
          ? world.sales.post(`/v1/staff/licenses/${id}/renew`, { months: 1 })
          : i % 3 === 1
            ? setLicenseGrace(id, 48)
            : world.sales.post(`/v1/staff/licenses/${id}/expand`, { nodes: { query: 1 } }),
      ),
      ...[1, 2].map(() =>
        world.sales.post('/v1/staff/licenses', {
          customerId: world.customerId,
          productId: graced.id,
          nodes: { query: 1 },
          startsAt: now,
          expiresAt: now + 30 * DAY,
        }),
      ),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200, 200, 201, 201]);
    const made = answers.slice(-2).map((a) => a.body.id as string);
    for (const id of made) expect((await world.customer.post(`/v1/licenses/${id}/bind`, { lmid: makeLm().lmid })).status).toBe(200);
    for (const id of [...licenses.map((l) => l.id), ...made]) {
      const shown = (await world.support.get(`/v1/staff/licenses/${id}`)).body.resources.outageGraceHours as number;
      expect({ id, shown }).toEqual({ id, shown: licenses.findIndex((l) => l.id === id) % 3 === 1 ? 48 : 6 });
      expect({ id, signed: unwrap(readLicense(await offlineKey(id), trust)).outageGraceHours }).toEqual({ id, signed: shown });
    }
  });

  it('refuses an outage grace that is not a whole number from 0 to 2160, with a sentence, and changes nothing', async () => {
    const graced = await product();
    const license = await boundLicense(graced.id);
    const serial = (await world.support.get(`/v1/staff/licenses/${license.id}`)).body.basic.serial as number;
    for (const bad of [-1, 2161, 1.5, 'many', 1e9]) {
      for (const answer of [
        await world.admin.post('/v1/staff/products', { slug: `bad${++slugs}`, name: 'Bad', roles: ['query'], outageGraceHours: bad }),
        await setProductGrace(graced.id, bad),
        await setLicenseGrace(license.id, bad),
      ]) {
        expect({ bad, status: answer.status, code: answer.body.error?.code }).toEqual({ bad, status: 400, code: 'BAD_REQUEST' });
        expect(answer.body.error.message).toMatch(/outageGraceHours/);
      }
    }
    // Null, false or a numeric string are not coerced to a number (null would be 0, strict): a product has no "follow".
    for (const [answer, sent] of [
      [await setProductGrace(graced.id, null), 'null'],
      [await setProductGrace(graced.id, false), 'a boolean'],
      [
        await world.admin.post('/v1/staff/products', { slug: `bad${++slugs}`, name: 'Bad', roles: ['query'], outageGraceHours: null }),
        'null',
      ],
      [await setLicenseGrace(license.id, '24'), 'a string'],
    ] as const) {
      expect(answer.status).toBe(400);
      expect(answer.body.error.message).toMatch(new RegExp(`^Bad request: body/outageGraceHours must be a number.*, not ${sent}\\.$`));
    }
    expect(
      (await world.support.get('/v1/staff/products')).body.items.find((p: { id: string }) => p.id === graced.id).outageGraceHours,
    ).toBe(72);
    expect((await world.support.get(`/v1/staff/licenses/${license.id}`)).body.basic.serial).toBe(serial);
    // The services say it in words of their own when called without the HTTP schema.
    const { catalogue, licenses } = tc.center.services;
    expect(await catalogue.setOutageGrace(graced.id, 2161, 'usr_test')).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
      detail: expect.stringMatching(/^A product's outage grace must be a whole number of hours from 0 .* to 2160/),
    });
    expect(await licenses.setOutageGrace(license.id, -1, 'usr_test')).toMatchObject({ ok: false, code: 'BAD_REQUEST' });
    expect(await catalogue.setOutageGrace('prd_doesnotexist0000000', 1, 'usr_test')).toMatchObject({ ok: false, code: 'NOT_FOUND' });
  });

  it('only admins set a product default and only sales and admins a license grace; others get the 404 of a missing route', async () => {
    const graced = await product();
    const license = await boundLicense(graced.id);
    for (const client of [world.sales, world.support, world.customer]) {
      const answer = await setProductGrace(graced.id, 1, client);
      expect(answer.status).toBe(404);
      expect(answer.body.error.message).toBe(`There is no PUT /v1/staff/products/${graced.id}/outage-grace here.`);
    }
    for (const client of [world.support, world.customer]) expect((await setLicenseGrace(license.id, 1, client)).status).toBe(404);
    expect((await world.admin.post('/v1/staff/licenses/lic_doesnotexist0000000/outage-grace', {})).status).toBe(404);
    expect((await setLicenseGrace('lic_doesnotexist0000000', 1, world.admin)).body.error.code).toBe('NOT_FOUND');
    expect((await setProductGrace('prd_doesnotexist0000000', 1)).body.error.code).toBe('NOT_FOUND');
    expect(
      (await world.support.get('/v1/staff/products')).body.items.find((p: { id: string }) => p.id === graced.id).outageGraceHours,
    ).toBe(72);
    expect((await world.customer.get(`/v1/licenses/${license.id}`)).body.resources.outageGraceHours).toBe(72);
  });
});
