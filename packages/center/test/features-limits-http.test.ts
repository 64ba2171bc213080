/**
 * Features and named limits are sold (issue 15 item 3), over real HTTP on each dialect: a sale and a license carry the
 * product's features and limits, cards and details show them, and staff change an existing license's with one PUT —
 * the serial rises once, the history (staff's and the customer's) and the audit log say each change in words, the
 * signed license carries the new grant (read back with core, and at an online License Manager's next sync). Names the
 * product does not define, counts that are not whole numbers from 0, and values the validator would coerce are refused
 * with a sentence, changing nothing; the wrong role gets the 404 of a missing route.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readLicense, readTrustFile } from '@tessera/core';
import type { TrustBundle } from '@tessera/core';
import { DIALECTS } from './support/databases.js';
import { staffWorld, startTestCenter } from './support/http.js';
import type { StaffWorld, TestCenter } from './support/http.js';
import { makeLm, syncRequestOf, unwrap } from './support/licensing.js';

describe.each(DIALECTS)('features and limits on %s', (dialect) => {
  let tc: TestCenter;
  let world: StaffWorld;
  let trust: TrustBundle;
  let guardId: string;

  /** A sale of guard with these limits and features, bound to a new LM (offline unless said); the license id and LM. */
  const sold = async (grant: { limits?: Record<string, number>; features?: string[] }, mode: 'online' | 'offline' = 'offline') => {
    const sale = await world.sales.post('/v1/staff/contracts', {
      ...world.sale({ productId: guardId, quantities: { enforcer: 2 } }),
      ...grant,
      mode,
    });
    expect(sale.status, JSON.stringify(sale.body)).toBe(201);
    const lm = makeLm();
    const id = sale.body.license.id as string;
    expect((await world.customer.post(`/v1/licenses/${id}/bind`, { lmid: lm.lmid })).status).toBe(200);
    return { id, lm };
  };
  const setGrant = (licenseId: string, body: unknown, client = world.sales) =>
    client.put(`/v1/staff/licenses/${licenseId}/features-limits`, body);
  const serialOf = async (id: string) => (await world.support.get(`/v1/staff/licenses/${id}`)).body.basic.serial as number;
  const signed = async (id: string) => unwrap(readLicense((await world.customer.get(`/v1/licenses/${id}/key`)).body.key, trust));

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    world = await staffWorld(tc);
    trust = unwrap(readTrustFile(await (await fetch(`${tc.center.url}/v1/trust-bundle`)).text())).bundle;
    const guard = await world.admin.post('/v1/staff/products', {
      slug: 'guard',
      name: 'Guard',
      roles: ['enforcer'],
      limits: ['remote_clusters', 'tenants'],
      features: ['scan', 'enforce', 'federation'],
    });
    expect(guard.status).toBe(201);
    guardId = guard.body.id;
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('a sale carries its features and limits into the signed license, the card and the details', async () => {
    const { id } = await sold({ limits: { remote_clusters: 2 }, features: ['scan', 'enforce'] });
    expect(await signed(id)).toMatchObject({ limits: { remote_clusters: 2 }, features: ['scan', 'enforce'] });
    const cards = (await world.customer.get('/v1/licenses')).body.items as { id: string }[];
    expect(cards.find((c) => c.id === id)).toMatchObject({ limits: { remote_clusters: 2 }, features: ['scan', 'enforce'] });
    expect((await world.customer.get(`/v1/licenses/${id}`)).body.resources).toMatchObject({
      limits: { remote_clusters: 2 },
      features: ['scan', 'enforce'],
    });
  });

  it('a change raises the serial once, re-signs, and the history and audit log say each change in words; the same again changes nothing', async () => {
    const { id } = await sold({ limits: { remote_clusters: 2, tenants: 4 }, features: ['scan', 'enforce'] });
    const before = await serialOf(id);
    const changed = await setGrant(id, { features: ['scan', 'federation'], limits: { remote_clusters: 3 } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(changed.body).toMatchObject({
      serial: before + 1,
      features: ['scan', 'federation'],
      limits: { remote_clusters: 3 },
    });
    expect(await signed(id)).toMatchObject({ serial: before + 1, features: ['scan', 'federation'], limits: { remote_clusters: 3 } });
    const words = ['limit remote_clusters 2 → 3', 'limit tenants removed (was 4)', 'feature federation added', 'feature enforce removed'];
    const staffHistory = (await world.support.get(`/v1/staff/licenses/${id}`)).body.history;
    expect(staffHistory[0]).toMatchObject({
      kind: 'features_limits',
      serial: before + 1,
      actor: expect.stringMatching(/^usr_/),
      changes: words,
    });
    expect(staffHistory[0].detail).toEqual({
      features: ['scan', 'federation'],
      limits: { remote_clusters: 3 },
      previous: { features: ['scan', 'enforce'], limits: { remote_clusters: 2, tenants: 4 } },
    });
    // The customer reads the same words, as a vendor's change.
    const mine = (await world.customer.get(`/v1/licenses/${id}`)).body.history[0];
    expect(mine).toMatchObject({ kind: 'features_limits', actor: 'vendor', changes: words });
    expect(await world.audited(id)).toContainEqual(
      expect.objectContaining({ action: 'license.features_limits', serial: before + 1, changes: words }),
    );

    // Other changes are worded too: an expansion and a renewal.
    expect((await world.sales.post(`/v1/staff/licenses/${id}/expand`, { nodes: { enforcer: 1 } })).status).toBe(200);
    expect((await world.support.get(`/v1/staff/licenses/${id}`)).body.history[0].changes).toEqual(['enforcer nodes 2 → 3']);

    // The same grant in another order changes nothing: no serial, no history.
    const again = await setGrant(id, { features: ['federation', 'scan'], limits: { remote_clusters: 3 } });
    expect(again.status).toBe(200);
    expect(again.body.serial).toBe(before + 2);
    expect((await world.support.get(`/v1/staff/licenses/${id}`)).body.history).toHaveLength(staffHistory.length + 1);
  });

  it('an online License Manager gets the new features at its next sync', async () => {
    const { id, lm } = await sold({ features: ['scan'] }, 'online');
    const onlineKey = (await world.customer.get(`/v1/licenses/${id}/key`)).body.key as string;
    const sync = async (known: { licenseId: string; serial: number } | null) => {
      const answer = await fetch(`${tc.center.url}/v1/lm/sync`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ request: syncRequestOf(lm, onlineKey, { known }) }),
      });
      expect(answer.status).toBe(200);
      return unwrap(readLicense(((await answer.json()) as { license: string }).license, trust));
    };
    const first = await sync(null);
    expect(first.features).toEqual(['scan']);
    expect((await setGrant(id, { features: ['scan', 'enforce'], limits: { tenants: 0 } })).status).toBe(200);
    expect(await sync({ licenseId: id, serial: first.serial })).toMatchObject({
      serial: first.serial + 1,
      features: ['scan', 'enforce'],
      limits: { tenants: 0 },
    });
  });

  it('refuses names the product does not define, counts that are not whole numbers from 0, and coerced values, changing nothing', async () => {
    const { id } = await sold({ limits: { remote_clusters: 1 }, features: ['scan'] });
    const serial = await serialOf(id);
    const refusals: [unknown, RegExp][] = [
      [{ features: ['warp'], limits: {} }, /^features: "warp" is not a feature of guard \(scan, enforce, federation\)\.$/],
      [{ features: [], limits: { clusters: 2 } }, /^limits: "clusters" is not one of the limits of guard \(remote_clusters, tenants\)\.$/],
      [{ features: ['scan', 'scan'], limits: {} }, /^features lists a name twice\.$/],
      [{ features: [], limits: { tenants: -1 } }, /tenants.*>= 0/],
      [{ features: [], limits: { tenants: 2.5 } }, /tenants.*integer/],
      [{ features: [], limits: { tenants: '3' } }, /^Bad request: body\/limits\/tenants must be a number, not a string\.$/],
      [{ features: [], limits: { tenants: null } }, /^Bad request: body\/limits\/tenants must be a number, not null\.$/],
      [{ features: [], limits: { tenants: true } }, /^Bad request: body\/limits\/tenants must be a number, not a boolean\.$/],
      [{ features: 'scan', limits: {} }, /^Bad request: body\/features must be a list of names, not a string\.$/],
      [{ features: [1], limits: {} }, /^Bad request: body\/features must list names, not a number\.$/],
      [{ features: ['scan'] }, /limits/],
      [{ features: ['scan'], limits: {}, nodes: { enforcer: 9 } }, /nodes|additional/],
    ];
    for (const [body, message] of refusals) {
      const answer = await setGrant(id, body);
      expect({ body, status: answer.status, code: answer.body.error?.code }).toEqual({ body, status: 400, code: 'BAD_REQUEST' });
      expect({ body, message: answer.body.error.message }).toEqual({ body, message: expect.stringMatching(message) });
    }
    expect(await serialOf(id)).toBe(serial);
    // A sale and a new license are held to the same: an unknown name, or a limit the validator would coerce.
    const sale = await world.sales.post('/v1/staff/contracts', {
      ...world.sale({ productId: guardId, quantities: { enforcer: 1 } }),
      limits: { remote_clusters: '2' },
    });
    expect([sale.status, sale.body.error.message]).toEqual([
      400,
      'Bad request: body/limits/remote_clusters must be a number, not a string.',
    ]);
    const now = tc.clock.now();
    const created = await world.sales.post('/v1/staff/licenses', {
      customerId: world.customerId,
      productId: guardId,
      nodes: { enforcer: 1 },
      features: ['warp'],
      startsAt: now,
      expiresAt: now + 86_400_000,
    });
    expect([created.status, created.body.error.message]).toEqual([
      400,
      'features: "warp" is not a feature of guard (scan, enforce, federation).',
    ]);
    // The service says it in its own words without the HTTP schema: a limit must be a whole number from 0.
    expect(await tc.center.services.licenses.setFeaturesAndLimits(id, { features: [], limits: { tenants: -1 } }, 'usr_test')).toMatchObject(
      {
        ok: false,
        code: 'BAD_REQUEST',
        detail: 'limits: "tenants" must be a whole number from 0 to 1000000.',
      },
    );
  });

  it('only sales and admins change them; support and customers get the 404 of a missing route; an unknown license is NOT_FOUND', async () => {
    const { id } = await sold({ features: ['scan'] });
    const body = { features: ['scan', 'enforce'], limits: {} };
    for (const client of [world.support, world.customer]) {
      const answer = await setGrant(id, body, client);
      expect(answer.status).toBe(404);
      expect(answer.body.error.message).toBe(`There is no PUT /v1/staff/licenses/${id}/features-limits here.`);
    }
    expect((await setGrant(id, body, world.admin)).status).toBe(200);
    const missing = await setGrant('lic_doesnotexist0000000', body, world.admin);
    expect([missing.status, missing.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });
});
