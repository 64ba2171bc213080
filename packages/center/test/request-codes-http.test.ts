/**
 * Request codes over real HTTP on each dialect, as an attacker would try them: a crafted code asking for a role,
 * a limit and a feature the product lacks and ten years is previewed with every ask shown and each unknown one
 * flagged; issuing needs an explicit grant (nothing is taken from the code), and the key holds exactly that grant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRequestCode, readLicense, readTrustFile } from '@tessera/core';
import type { RequestCodeInput, TrustBundle } from '@tessera/core';
import { DIALECTS } from './support/databases.js';
import { startTestCenter, staffWorld } from './support/http.js';
import type { StaffWorld, TestCenter } from './support/http.js';
import { makeLm, unwrap } from './support/licensing.js';

const crafted: RequestCodeInput = {
  contact: { name: 'Mallory Ops', email: 'mallory@acme.example', phone: '' },
  host: { hostname: 'graph-01', os: 'linux x64', lmVersion: '0.1.0' },
  product: 'graphdb',
  nodes: { query: 2, storage: 9, gpu: 8 },
  limits: { remote_clusters: 40, max_users: 100_000 },
  features: ['scan', 'federation'],
  months: 120,
  createdAt: '2026-11-24T10:00:00Z',
};

const ISSUE = '/v1/staff/request-codes/issue';
const PREVIEW = '/v1/staff/request-codes/preview';

describe.each(DIALECTS)('request-code routes on %s', (dialect) => {
  let tc: TestCenter;
  let world: StaffWorld;
  let trust: TrustBundle;
  let otherProductId: string;
  const lm = makeLm();
  const code = unwrap(createRequestCode(crafted, lm));

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    world = await staffWorld(tc);
    const other = await world.admin.post('/v1/staff/products', { slug: 'explorer', name: 'Explorer', roles: ['query'] });
    expect(other.status).toBe(201);
    otherProductId = other.body.id;
    trust = unwrap(readTrustFile(await (await fetch(`${tc.center.url}/v1/trust-bundle`)).text())).bundle;
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('previews every ask of a crafted code and flags what the product lacks; a chosen product is checked instead', async () => {
    const preview = await world.support.post(PREVIEW, { requestCode: code });
    expect(preview.status).toBe(200);
    expect(preview.body).toMatchObject({ lmid: lm.lmid, product: 'graphdb', months: 120, checkedAgainst: { slug: 'graphdb' } });
    expect([preview.body.nodes, preview.body.limits, preview.body.features]).toEqual([
      { query: 2, storage: 9, gpu: 8 },
      { remote_clusters: 40, max_users: 100_000 },
      ['scan', 'federation'],
    ]);
    expect(preview.body.flags.map((f: { item: string; name: string }) => `${f.item} ${f.name}`)).toEqual([
      'role gpu',
      'limit max_users',
      'feature federation',
    ]);

    const against = await world.support.post(PREVIEW, { requestCode: code, productId: otherProductId });
    expect(against.status).toBe(200);
    expect(against.body.checkedAgainst).toEqual({ id: otherProductId, slug: 'explorer' });
    expect(against.body.flags[0]).toMatchObject({ item: 'product', name: 'graphdb' });
    const nowhere = await world.support.post(PREVIEW, { requestCode: code, productId: 'prd_00000000000000000000' });
    expect([nowhere.status, nowhere.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('issues exactly the grant, kept, changed and struck item by item: the key read by core holds nothing else', async () => {
    const grant = { nodes: { query: 2, storage: 4 }, limits: { remote_clusters: 1 }, features: [], months: 12 };
    const issued = await world.sales.post(ISSUE, { requestCode: code, customerId: world.customerId, productId: world.productId, grant });
    expect(issued.status).toBe(201);
    expect(issued.headers.get('cache-control')).toBe('no-store');
    const read = unwrap(readLicense(issued.body.offlineKey, trust));
    expect({ lmid: read.lmid, nodes: read.nodes, limits: read.limits, features: read.features }).toEqual({
      lmid: lm.lmid,
      nodes: grant.nodes,
      limits: grant.limits,
      features: [],
    });
    // Twelve months from now, not the 120 asked.
    expect(read.expiresAtMs - read.startsAtMs).toBeLessThan(367 * 86_400_000);
  });

  it('refuses an issue that does not state the whole grant, or grants what the product lacks, with stable codes', async () => {
    const base = { requestCode: code, customerId: world.customerId, productId: world.productId };
    const grant = { nodes: { query: 1 }, limits: {}, features: [], months: 1 };
    const refusals: [unknown, number, string, RegExp][] = [
      [base, 400, 'BAD_REQUEST', /required property 'grant'/],
      // The old shape: an adjustment of the code's asks is no longer a way to issue.
      [{ ...base, adjust: { nodes: { query: 1 } } }, 400, 'BAD_REQUEST', /required property 'grant'/],
      [{ ...base, grant, adjust: {} }, 400, 'BAD_REQUEST', /additional properties/],
      [{ ...base, grant: { nodes: { query: 1 }, months: 1 } }, 400, 'BAD_REQUEST', /limits/],
      [{ ...base, grant: { ...grant, nodes: { gpu: 8 } } }, 400, 'BAD_REQUEST', /"gpu" is not one of the roles of graphdb/],
      [{ ...base, grant: { ...grant, features: ['federation'] } }, 400, 'BAD_REQUEST', /"federation" is not a feature of graphdb/],
      [{ ...base, grant: { ...grant, months: 121 } }, 400, 'BAD_REQUEST', /months/],
      [{ ...base, productId: otherProductId, grant }, 409, 'PRODUCT_MISMATCH', /asks for graphdb, not for explorer/],
    ];
    const before = (await world.admin.get(`/v1/staff/customers/${world.customerId}`)).body.licenseCount;
    for (const [sent, status, errorCode, message] of refusals) {
      const answer = await world.sales.post(ISSUE, sent);
      expect({ sent, status: answer.status, code: answer.body.error.code }).toEqual({ sent, status, code: errorCode });
      expect(answer.body.error.message).toMatch(message);
    }
    expect((await world.admin.get(`/v1/staff/customers/${world.customerId}`)).body.licenseCount).toBe(before);
  });

  it('hides both routes from customers and issuing from support, as routes that do not exist', async () => {
    const grant = { nodes: { query: 1 }, limits: {}, features: [], months: 1 };
    const issue = { requestCode: code, customerId: world.customerId, productId: world.productId, grant };
    for (const [client, path, body] of [
      [world.customer, PREVIEW, { requestCode: code }],
      [world.customer, ISSUE, issue],
      [world.support, ISSUE, issue],
    ] as const) {
      const answer = await client.post(path, body);
      expect([answer.status, answer.body.error.code, answer.body.error.message]).toEqual([
        404,
        'NOT_FOUND',
        `There is no POST ${path} here.`,
      ]);
    }
  });
});
