/**
 * The staff side over real HTTP on each dialect: products, customers and contracts (the happy path, input errors
 * in the common error shape, audit events), and security for every staff and token route of this area and of
 * staff-users-http.test.ts: customers get 404 as for a route that does not exist, a role without the right gets
 * 404, no login or a forged token gets 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths } from '../src/services/licenses/licenses.js';
import { DIALECTS } from './support/databases.js';
import { Client, staffWorld, startTestCenter } from './support/http.js';
import type { Answer, StaffWorld, TestCenter } from './support/http.js';

const NOBODY = { customerId: 'cus_00000000000000000000', contractId: 'ctr_00000000000000000000', userId: 'usr_00000000000000000000' };

/** The common error shape, with the request id also in the header. */
function expectError(answer: Answer, status: number, code: string, message?: RegExp): void {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(answer.body)).toEqual(['error']);
  expect(answer.body.error).toEqual({ code, message: expect.any(String), requestId: answer.headers.get('x-request-id') });
  if (message) expect(answer.body.error.message).toMatch(message);
}

describe.each(DIALECTS)('staff customers and contracts over HTTP on %s', (dialect) => {
  let tc: TestCenter;
  let admin: Client;
  let adminId: string;
  let sales: Client;
  let support: Client;
  let customer: Client;
  let customerId: string;
  let customerUserId: string;
  let graphdb: string;

  let sale: StaffWorld['sale'];
  let audited: StaffWorld['audited'];

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    ({ admin, adminId, sales, support, customer, customerId, customerUserId, productId: graphdb, sale, audited } = await staffWorld(tc));
  });
  afterAll(async () => {
    await tc?.close();
  });

  describe('products and customers', () => {
    it('lists products and customers to every staff role, pages customers and finds them by name', async () => {
      const products = await support.get('/v1/staff/products');
      expect(products.status).toBe(200);
      expect(products.body.items).toEqual([
        expect.objectContaining({
          id: graphdb,
          slug: 'graphdb',
          roles: ['query', 'storage'],
          limits: ['remote_clusters'],
          features: ['scan'],
        }),
        expect.objectContaining({ slug: 'tessera-lm', roles: [] }),
      ]);
      for (const name of ['Zeta Widgets', 'zeta Gadgets', 'Omega Ltd']) {
        tc.clock.t += 1000; // one after the other, so newest first is a known order
        expect((await sales.post('/v1/staff/customers', { name })).status).toBe(201);
      }
      const found = await support.get('/v1/staff/customers?q=ZETA');
      expect(found.status).toBe(200);
      expect(found.body.items.map((c: { name: string }) => c.name)).toEqual(['zeta Gadgets', 'Zeta Widgets']);
      const seen: string[] = [];
      let next = '/v1/staff/customers?limit=2';
      for (;;) {
        const page = await support.get(next);
        expect(page.status).toBe(200);
        expect(page.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.body.items.map((c: { id: string }) => c.id));
        if (page.body.nextCursor === null) break;
        next = `/v1/staff/customers?limit=2&cursor=${page.body.nextCursor}`;
      }
      expect(seen).toContain(customerId);
      expect(seen).toHaveLength(4);
      expect(new Set(seen).size).toBe(4);
    });

    it("shows one customer with its users' id, email, name and status only", async () => {
      const answer = await support.get(`/v1/staff/customers/${customerId}`);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ id: customerId, licenseCount: expect.any(Number), contracts: { items: expect.any(Array) } });
      expect(answer.body.users).toEqual([
        { id: customerUserId, email: 'buyer@acme.example', name: 'buyer@acme.example', status: 'active' },
      ]);
    });

    it('answers bad ids, cursors and query members with 400, an unknown customer with 404', async () => {
      expectError(await support.get('/v1/staff/customers/lic_00000000000000000000'), 400, 'BAD_REQUEST', /customerId/);
      expectError(await support.get(`/v1/staff/customers/${NOBODY.customerId}`), 404, 'NOT_FOUND', /There is no customer cus_0+\./);
      expectError(await support.get('/v1/staff/customers?cursor=garbage'), 400, 'BAD_REQUEST', /cursor is not one this list gave out/);
      expectError(await support.get('/v1/staff/customers?limit=500'), 400, 'BAD_REQUEST');
      expectError(await support.get('/v1/staff/customers?query=zeta'), 400, 'BAD_REQUEST', /additional properties/i);
    });
  });

  describe('contracts', () => {
    it("mails the customer's users a Setup License link to the new license; a customer without users gets none", async () => {
      const sold = await sales.post('/v1/staff/contracts', sale({ quantities: { query: 3 } }));
      expect(sold.status).toBe(201);
      expect(sold.body.mailedTo).toEqual(['buyer@acme.example']);
      const mails = await tc.center.services.db
        .selectFrom('mail_outbox')
        .select(['subject', 'text'])
        .where('to_address', '=', 'buyer@acme.example')
        .where('subject', '=', 'Setup License: Graph DB')
        .execute();
      expect(mails.some((m) => m.text.includes(`/licenses/${sold.body.license.id}`) && m.text.includes('3 query nodes'))).toBe(true);
      const lonely = (await admin.post('/v1/staff/customers', { name: 'No users yet' })).body.id as string;
      const unmailed = await sales.post('/v1/staff/contracts', sale({ customerId: lonely }));
      expect(unmailed.status).toBe(201);
      expect(unmailed.body.mailedTo).toEqual([]);
      // A refused sale records nothing and mails nobody.
      const before = mails.length;
      expect((await sales.post('/v1/staff/contracts', sale({ quantities: { gpu: 1 } }))).status).toBe(400);
      const after = await tc.center.services.db
        .selectFrom('mail_outbox')
        .select('id')
        .where('subject', '=', 'Setup License: Graph DB')
        .where('to_address', '=', 'buyer@acme.example')
        .execute();
      expect(after.length).toBe(before);
    });

    it('sells a contract (admin, sales): its license is the customer’s, linked as the subscription, and both are audited', async () => {
      const answer = await sales.post('/v1/staff/contracts', {
        customerId,
        productId: graphdb,
        term: '1y',
        autoRenew: true,
        quantities: { query: 2, storage: 1 },
        features: ['scan'],
      });
      expect(answer.status).toBe(201);
      const { contract, license } = answer.body;
      const now = tc.clock.now();
      expect(contract).toMatchObject({
        customerId,
        productId: graphdb,
        source: 'sales',
        term: '1y',
        autoRenew: true,
        quantities: { query: 2, storage: 1 },
        startsAt: now,
        endsAt: addMonths(now, 12),
        status: 'active',
        licenseIds: [license.id],
      });
      expect(license).toMatchObject({ customerId, nodes: { query: 2, storage: 1 }, features: ['scan'], expiresAt: addMonths(now, 12) });
      // The customer sees the license, with the contract as its subscription.
      const details = await customer.get(`/v1/licenses/${license.id}`);
      expect(details.status).toBe(200);
      expect(details.body.subscription).toMatchObject({ id: contract.id, source: 'sales', term: '1y', autoRenew: true });
      expect((await support.get(`/v1/staff/contracts/${contract.id}`)).body).toEqual(contract);
      const listed = await support.get(`/v1/staff/contracts?customerId=${customerId}`);
      expect(listed.status).toBe(200);
      expect(listed.body.items.map((c: { id: string }) => c.id)).toContain(contract.id);
      const shown = await support.get(`/v1/staff/customers/${customerId}`);
      expect(shown.body.contracts.items.map((c: { id: string }) => c.id)).toContain(contract.id);
      expect(shown.body.licenseCount).toBeGreaterThanOrEqual(1);
      expect(await audited(contract.id)).toEqual([expect.objectContaining({ action: 'contract.created', licenseId: license.id })]);
      expect(await audited(license.id)).toEqual([expect.objectContaining({ action: 'license.created', contractId: contract.id })]);
      const byAdmin = await admin.post('/v1/staff/contracts', sale({ term: '1m' }));
      expect(byAdmin.status).toBe(201);
      expect(byAdmin.body.contract.endsAt).toBe(addMonths(now, 1));
    });

    it('refuses bad sales in the common error shape and writes nothing', async () => {
      const before = (await support.get(`/v1/staff/contracts?customerId=${customerId}&limit=200`)).body.items.length;
      const post = (change: Record<string, unknown>) => sales.post('/v1/staff/contracts', sale(change));
      expectError(await post({ productId: 'prd_00000000000000000000' }), 404, 'NOT_FOUND', /There is no product prd_0+\./);
      expectError(await post({ customerId: NOBODY.customerId }), 404, 'NOT_FOUND', /There is no customer cus_0+\./);
      expectError(
        await post({ quantities: { query: 1, enforcer: 1 } }),
        400,
        'BAD_REQUEST',
        /"enforcer" is not one of the roles of graphdb/,
      );
      expectError(await post({ term: '2y' }), 400, 'BAD_REQUEST', /term/);
      expectError(await post({ quantities: { query: -1 } }), 400, 'BAD_REQUEST');
      expectError(await post({ customerId: 'customer-1' }), 400, 'BAD_REQUEST', /customerId/);
      const { quantities, ...misspelt } = sale();
      expectError(await sales.post('/v1/staff/contracts', { ...misspelt, quantity: quantities }), 400, 'BAD_REQUEST');
      expectError(await sales.post('/v1/staff/contracts', sale({ autorenew: true })), 400, 'BAD_REQUEST', /additional properties/i);
      expect((await support.get(`/v1/staff/contracts?customerId=${customerId}&limit=200`)).body.items.length).toBe(before);
      expectError(await support.get(`/v1/staff/contracts/${NOBODY.contractId}`), 404, 'NOT_FOUND', /There is no contract ctr_0+\./);
      expectError(await support.get('/v1/staff/contracts/ctr_!'), 400, 'BAD_REQUEST');
      expectError(await support.get(`/v1/staff/contracts?customerId=${NOBODY.customerId}`), 404, 'NOT_FOUND');
      expectError(await support.get('/v1/staff/contracts?cursor=Zm9v'), 400, 'BAD_REQUEST');
    });

    it('does not let support sell', async () => {
      expectError(await support.post('/v1/staff/contracts', sale()), 404, 'NOT_FOUND', /^There is no POST \/v1\/staff\/contracts here\.$/);
    });
  });

  describe('security', () => {
    it('answers a customer 404 on every staff route added here, and on the token routes', async () => {
      const routes: [string, string, unknown?][] = [
        ['GET', '/v1/staff/products'],
        ['GET', '/v1/staff/customers?q=a'],
        ['GET', `/v1/staff/customers/${customerId}`],
        ['POST', '/v1/staff/contracts', sale()],
        ['GET', `/v1/staff/contracts?customerId=${customerId}`],
        ['GET', `/v1/staff/contracts/${NOBODY.contractId}`],
        ['GET', '/v1/staff/users'],
        ['POST', '/v1/staff/users', { email: 'sneaky@acme.example', role: 'admin' }],
        ['PUT', `/v1/staff/users/${customerUserId}/role`, { role: 'admin' }],
        ['POST', `/v1/staff/users/${adminId}/disable`, {}],
        ['POST', `/v1/staff/users/${customerUserId}/login-link`, {}],
        ['GET', '/v1/auth/tokens'],
        ['DELETE', '/v1/auth/tokens/tok_00000000000000000000'],
      ];
      for (const [method, path, body] of routes) {
        const answer = await customer.call(method, path, body);
        expectError(
          answer,
          404,
          'NOT_FOUND',
          new RegExp(`^There is no ${method} ${path.split('?')[0]!.replace(/[/.]/g, '\\$&')} here\\.$`),
        );
      }
      // Nothing changed: the customer's user is still a customer, the admin still active, no staff account made.
      expect((await customer.get('/v1/auth/me')).body.user).toMatchObject({ id: customerUserId, role: 'customer' });
      expect((await admin.get('/v1/auth/me')).body.user.status).toBe('active');
      expect((await admin.get('/v1/staff/users')).body.items.map((u: { email: string }) => u.email)).not.toContain('sneaky@acme.example');
    });

    it('answers 401 without a login, whatever is sent', async () => {
      const anonymous = new Client(tc.center.url);
      for (const [method, path] of [
        ['GET', '/v1/staff/customers'],
        ['POST', '/v1/staff/contracts'],
        ['GET', '/v1/staff/users'],
        ['GET', '/v1/auth/tokens'],
        ['DELETE', '/v1/auth/tokens/tok_00000000000000000000'],
      ] as const) {
        expectError(await anonymous.call(method, path, method === 'POST' ? { anything: 1 } : undefined), 401, 'UNAUTHORIZED');
      }
      expectError(await new Client(tc.center.url, 'tsk_forged').get('/v1/staff/users'), 401, 'UNAUTHORIZED');
    });
  });
});
