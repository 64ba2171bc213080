/**
 * The staff side over real HTTP on each dialect: products, customers and contracts; staff accounts (create,
 * role, disable, login link); each staff member's own API tokens. Per area the happy path, input errors in the
 * common error shape, and security: customers and roles without the right get 404, revoked and disabled
 * credentials get 401, and every change leaves its audit event.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths } from '../src/services/licenses.js';
import { DIALECTS } from './support/databases.js';
import { Client, startTestCenter } from './support/http.js';
import type { Answer, TestCenter } from './support/http.js';

const NOBODY = { customerId: 'cus_00000000000000000000', contractId: 'ctr_00000000000000000000', userId: 'usr_00000000000000000000' };
const tokenOf = (link: string) => /\?token=([A-Za-z0-9_-]+)$/.exec(link)![1]!;

/** The common error shape, with the request id also in the header. */
function expectError(answer: Answer, status: number, code: string, message?: RegExp): void {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(answer.body)).toEqual(['error']);
  expect(answer.body.error).toEqual({ code, message: expect.any(String), requestId: answer.headers.get('x-request-id') });
  if (message) expect(answer.body.error.message).toMatch(message);
}

describe.each(DIALECTS)('staff over HTTP on %s', (dialect) => {
  let tc: TestCenter;
  let admin: Client;
  let adminId: string;
  let sales: Client;
  let support: Client;
  let customer: Client;
  let customerId: string;
  let customerUserId: string;
  let graphdb: string;

  const audited = async (subject: string) =>
    (await tc.center.services.audit.list({ subject })).map((e) => ({ action: e.action, ...e.data }));

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    ({ client: admin, userId: adminId } = await tc.staff('admin@vendor.example', 'admin'));
    sales = (await tc.staff('sales@vendor.example', 'sales')).client;
    support = (await tc.staff('support@vendor.example', 'support')).client;
    ({ client: customer, customerId, userId: customerUserId } = await tc.customer('buyer@acme.example'));
    const product = await admin.post('/v1/staff/products', {
      slug: 'graphdb',
      name: 'Graph DB',
      roles: ['query', 'storage'],
      limits: ['remote_clusters'],
      features: ['scan'],
    });
    expect(product.status).toBe(201);
    graphdb = product.body.id;
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
      const byAdmin = await admin.post('/v1/staff/contracts', {
        customerId,
        productId: graphdb,
        term: '1m',
        autoRenew: false,
        quantities: { query: 1 },
      });
      expect(byAdmin.status).toBe(201);
      expect(byAdmin.body.contract.endsAt).toBe(addMonths(now, 1));
    });

    it('refuses bad sales in the common error shape and writes nothing', async () => {
      const good = { customerId, productId: graphdb, term: '1y', autoRenew: false, quantities: { query: 1 } };
      const before = (await support.get(`/v1/staff/contracts?customerId=${customerId}&limit=200`)).body.items.length;
      const post = (change: Record<string, unknown>) => sales.post('/v1/staff/contracts', { ...good, ...change });
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
      const { quantities, ...misspelt } = good;
      expectError(await sales.post('/v1/staff/contracts', { ...misspelt, quantity: quantities }), 400, 'BAD_REQUEST');
      expectError(await sales.post('/v1/staff/contracts', { ...good, autorenew: true }), 400, 'BAD_REQUEST', /additional properties/i);
      expect((await support.get(`/v1/staff/contracts?customerId=${customerId}&limit=200`)).body.items.length).toBe(before);
      expectError(await support.get(`/v1/staff/contracts/${NOBODY.contractId}`), 404, 'NOT_FOUND', /There is no contract ctr_0+\./);
      expectError(await support.get('/v1/staff/contracts/ctr_!'), 400, 'BAD_REQUEST');
      expectError(await support.get(`/v1/staff/contracts?customerId=${NOBODY.customerId}`), 404, 'NOT_FOUND');
      expectError(await support.get('/v1/staff/contracts?cursor=Zm9v'), 400, 'BAD_REQUEST');
    });

    it('does not let support sell', async () => {
      const answer = await support.post('/v1/staff/contracts', {
        customerId,
        productId: graphdb,
        term: '1y',
        autoRenew: false,
        quantities: { query: 1 },
      });
      expectError(answer, 404, 'NOT_FOUND', /^There is no POST \/v1\/staff\/contracts here\.$/);
    });
  });

  describe('staff users', () => {
    it('an admin creates a staff account whose one-time login link logs in once; every staff role sees the list', async () => {
      const created = await admin.post('/v1/staff/users', { email: 'New.Hire@Vendor.example', role: 'support', name: 'New Hire' });
      expect(created.status).toBe(201);
      expect(created.headers.get('cache-control')).toBe('no-store');
      expect(created.body.userId).toMatch(/^usr_/);
      const browser = new Client(tc.center.url);
      const login = await browser.post('/v1/auth/login-link', { token: tokenOf(created.body.loginLink) });
      expect(login.status).toBe(200);
      expect(login.body.user).toMatchObject({
        id: created.body.userId,
        email: 'new.hire@vendor.example',
        role: 'support',
        name: 'New Hire',
      });
      expectError(
        await new Client(tc.center.url).post('/v1/auth/login-link', { token: tokenOf(created.body.loginLink) }),
        400,
        'BAD_REQUEST',
        /used already/,
      );
      const list = await sales.get('/v1/staff/users');
      expect(list.status).toBe(200);
      expect(list.body.items).toContainEqual(expect.objectContaining({ id: created.body.userId, role: 'support', status: 'active' }));
      expect(list.body.items.every((u: { role: string }) => u.role !== 'customer')).toBe(true);
      expect(JSON.stringify(list.body)).not.toMatch(/password|hash/i);
      expect(await audited(created.body.userId)).toContainEqual(expect.objectContaining({ action: 'staff.created', role: 'support' }));
      // A fresh link for the same account.
      const again = await admin.post(`/v1/staff/users/${created.body.userId}/login-link`);
      expect(again.status).toBe(200);
      expect(again.headers.get('cache-control')).toBe('no-store');
      expect((await new Client(tc.center.url).post('/v1/auth/login-link', { token: tokenOf(again.body.loginLink) })).status).toBe(200);
    });

    it('refuses bad staff input and keeps the admin-only routes from other roles', async () => {
      expectError(await admin.post('/v1/staff/users', { email: 'x@vendor.example', role: 'customer' }), 400, 'BAD_REQUEST', /role/);
      expectError(await admin.post('/v1/staff/users', { email: 'not an email', role: 'sales' }), 400, 'BAD_REQUEST', /name@example\.com/);
      expectError(
        await admin.post('/v1/staff/users', { email: 'sales@vendor.example', role: 'sales' }),
        400,
        'BAD_REQUEST',
        /exists already/,
      );
      expectError(await admin.post('/v1/staff/users', { email: 'y@vendor.example', role: 'sales', nmae: 'Y' }), 400, 'BAD_REQUEST');
      expectError(
        await admin.put(`/v1/staff/users/${NOBODY.userId}/role`, { role: 'sales' }),
        404,
        'NOT_FOUND',
        /There is no staff account/,
      );
      // A customer's user is no staff account, and is answered as none.
      expectError(await admin.post(`/v1/staff/users/${customerUserId}/disable`), 404, 'NOT_FOUND', /There is no staff account/);
      expectError(await admin.post(`/v1/staff/users/${NOBODY.userId}/login-link`), 404, 'NOT_FOUND');
      expectError(await admin.put(`/v1/staff/users/${adminId}/role`, { role: 'owner' }), 400, 'BAD_REQUEST');
      for (const client of [sales, support]) {
        for (const [method, path, body] of [
          ['POST', '/v1/staff/users', { email: 'z@vendor.example', role: 'admin' }],
          ['PUT', `/v1/staff/users/${adminId}/role`, { role: 'sales' }],
          ['POST', `/v1/staff/users/${adminId}/disable`, {}],
          ['POST', `/v1/staff/users/${adminId}/login-link`, {}],
        ] as const) {
          expectError(await client.call(method, path, body), 404, 'NOT_FOUND', /^There is no (POST|PUT) \/v1\/staff\/users.* here\.$/);
        }
      }
      const me = await admin.get('/v1/auth/me');
      expect(me.body.user).toMatchObject({ id: adminId, role: 'admin', status: 'active' });
    });

    it('changes a role at once and audits from and to', async () => {
      const { client, userId } = await tc.staff('promoted@vendor.example', 'support');
      expectError(
        await client.post('/v1/staff/contracts', {
          customerId,
          productId: graphdb,
          term: '1y',
          autoRenew: false,
          quantities: { query: 1 },
        }),
        404,
        'NOT_FOUND',
      );
      const changed = await admin.put(`/v1/staff/users/${userId}/role`, { role: 'sales' });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ id: userId, role: 'sales', status: 'active' });
      const sold = await client.post('/v1/staff/contracts', {
        customerId,
        productId: graphdb,
        term: '1y',
        autoRenew: false,
        quantities: { query: 1 },
      });
      expect(sold.status).toBe(201);
      // The same role again changes nothing and writes no event.
      expect((await admin.put(`/v1/staff/users/${userId}/role`, { role: 'sales' })).status).toBe(200);
      const events = (await audited(userId)).filter((e) => e.action === 'staff.role_changed');
      expect(events).toEqual([{ action: 'staff.role_changed', email: 'promoted@vendor.example', from: 'support', to: 'sales' }]);
      expect((await tc.center.services.audit.list({ subject: userId }))[0]!.actor).toBe(adminId);
    });

    it('disables an account: its API token and session answer 401, its links stop working, and it is audited', async () => {
      const { client: tokenClient, userId } = await tc.staff('leaver@vendor.example', 'sales');
      const link = await admin.post(`/v1/staff/users/${userId}/login-link`);
      const browser = new Client(tc.center.url);
      expect((await browser.post('/v1/auth/login-link', { token: tokenOf(link.body.loginLink) })).status).toBe(200);
      const unused = await admin.post(`/v1/staff/users/${userId}/login-link`);
      expect((await browser.get('/v1/auth/me')).status).toBe(200);
      expect((await tokenClient.get('/v1/auth/me')).status).toBe(200);
      const disabled = await admin.post(`/v1/staff/users/${userId}/disable`);
      expect(disabled.status).toBe(200);
      expect(disabled.body).toMatchObject({ id: userId, status: 'disabled' });
      expectError(await tokenClient.get('/v1/auth/me'), 401, 'UNAUTHORIZED');
      expectError(await tokenClient.get('/v1/staff/customers'), 401, 'UNAUTHORIZED');
      expectError(await browser.get('/v1/auth/me'), 401, 'UNAUTHORIZED');
      expectError(
        await new Client(tc.center.url).post('/v1/auth/login-link', { token: tokenOf(unused.body.loginLink) }),
        400,
        'BAD_REQUEST',
      );
      expectError(await admin.post(`/v1/staff/users/${userId}/login-link`), 404, 'NOT_FOUND', /no active staff account/);
      expect(await audited(userId)).toContainEqual({
        action: 'staff.disabled',
        email: 'leaver@vendor.example',
        role: 'sales',
        sessionsEnded: 1,
        // The API token, the link made with the account, and the unused second link.
        tokensRevoked: 3,
      });
      const listed = (await admin.get('/v1/staff/users')).body.items.find((u: { id: string }) => u.id === userId);
      expect(listed.status).toBe('disabled');
      // Disabling again is no change.
      expect((await admin.post(`/v1/staff/users/${userId}/disable`)).body.status).toBe('disabled');
      expect((await audited(userId)).filter((e) => e.action === 'staff.disabled')).toHaveLength(1);
    });
  });

  describe('API tokens', () => {
    it('lists my working tokens without secrets and revokes one: it answers 401 at once, the others still work', async () => {
      const { client: first, userId } = await tc.staff('automation@vendor.example', 'support');
      const made = await first.post('/v1/auth/tokens', { label: 'ci pipeline' });
      expect(made.status).toBe(201);
      const second = new Client(tc.center.url, made.body.token);
      const listed = await first.get('/v1/auth/tokens');
      expect(listed.status).toBe(200);
      expect(listed.body.items).toHaveLength(2);
      for (const item of listed.body.items) expect(Object.keys(item).sort()).toEqual(['createdAt', 'id', 'label']);
      expect(listed.body.items.map((t: { label: string }) => t.label).sort()).toEqual(['ci pipeline', 'created with the account']);
      expect(JSON.stringify(listed.body)).not.toContain(made.body.token);
      const ci = listed.body.items.find((t: { label: string }) => t.label === 'ci pipeline');
      const revoked = await first.delete(`/v1/auth/tokens/${ci.id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.body).toEqual({ id: ci.id, revokedAt: tc.clock.now() });
      expectError(await second.get('/v1/auth/me'), 401, 'UNAUTHORIZED');
      expect((await first.get('/v1/auth/me')).status).toBe(200);
      expect((await first.get('/v1/auth/tokens')).body.items.map((t: { id: string }) => t.id)).not.toContain(ci.id);
      expectError(await first.delete(`/v1/auth/tokens/${ci.id}`), 404, 'NOT_FOUND', /no working API token/);
      expect(await audited(userId)).toContainEqual({ action: 'api_token.revoked', tokenId: ci.id, label: 'ci pipeline' });
    });

    it("answers someone else's token as one that does not exist, and leaves it working", async () => {
      const mine = await tc.staff('mine@vendor.example', 'sales');
      const theirs = await tc.staff('theirs@vendor.example', 'sales');
      const [token] = (await theirs.client.get('/v1/auth/tokens')).body.items;
      const other = await mine.client.delete(`/v1/auth/tokens/${token.id}`);
      const none = await mine.client.delete('/v1/auth/tokens/tok_00000000000000000000');
      expectError(other, 404, 'NOT_FOUND');
      expectError(none, 404, 'NOT_FOUND');
      expect(other.body.error.message.replace(token.id, '<id>')).toBe(none.body.error.message.replace('tok_00000000000000000000', '<id>'));
      expect((await theirs.client.get('/v1/auth/me')).status).toBe(200);
      // Even an admin revokes only their own; others' credentials end by disabling the account.
      expectError(await admin.delete(`/v1/auth/tokens/${token.id}`), 404, 'NOT_FOUND');
      expectError(await mine.client.delete('/v1/auth/tokens/not-a-token'), 400, 'BAD_REQUEST', /tokenId/);
    });
  });

  describe('security', () => {
    it('answers a customer 404 on every staff route added here, and on the token routes', async () => {
      const routes: [string, string, unknown?][] = [
        ['GET', '/v1/staff/products'],
        ['GET', '/v1/staff/customers?q=a'],
        ['GET', `/v1/staff/customers/${customerId}`],
        ['POST', '/v1/staff/contracts', { customerId, productId: graphdb, term: '1y', autoRenew: false, quantities: { query: 1 } }],
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

describe.each(DIALECTS)('the last admin on %s', (dialect) => {
  let tc: TestCenter;

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('cannot demote or disable themself; with a second admin they can', async () => {
    const only = await tc.staff('only-admin@vendor.example', 'admin');
    const demote = await only.client.put(`/v1/staff/users/${only.userId}/role`, { role: 'sales' });
    expectError(
      demote,
      400,
      'BAD_REQUEST',
      /^You are the last active admin; make another staff member admin first, then change your role\.$/,
    );
    expectError(
      await only.client.post(`/v1/staff/users/${only.userId}/disable`),
      400,
      'BAD_REQUEST',
      /last active admin.*disable yourself/,
    );
    expect((await only.client.get('/v1/auth/me')).body.user).toMatchObject({ role: 'admin', status: 'active' });
    expect((await tc.center.services.audit.list({ subject: only.userId })).map((e) => e.action)).toEqual([
      'api_token.created',
      'staff.created',
    ]);
    const second = await tc.staff('second-admin@vendor.example', 'admin');
    const demoted = await only.client.put(`/v1/staff/users/${only.userId}/role`, { role: 'sales' });
    expect(demoted.status).toBe(200);
    expect(demoted.body.role).toBe('sales');
    // The former admin lost the admin routes at once; the one left is the last admin now.
    expectError(await only.client.post('/v1/staff/users', { email: 'a@vendor.example', role: 'sales' }), 404, 'NOT_FOUND');
    expectError(
      await second.client.put(`/v1/staff/users/${second.userId}/role`, { role: 'support' }),
      400,
      'BAD_REQUEST',
      /last active admin/,
    );
  });

  it('keeps one admin when two demote each other at the same moment', async () => {
    const a = await tc.staff('race-a@vendor.example', 'admin');
    const b = await tc.staff('race-b@vendor.example', 'admin');
    // Leave a and b as the only active admins.
    const { staff } = tc.center.services.accounts;
    for (const user of await staff.list()) {
      if (user.role === 'admin' && user.id !== a.userId && user.id !== b.userId)
        expect((await staff.setRole(user.id, 'support', a.userId)).ok).toBe(true);
    }
    const results = await Promise.all([staff.setRole(b.userId, 'sales', a.userId), staff.setRole(a.userId, 'sales', b.userId)]);
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.find((r) => !r.ok)).toMatchObject({ code: 'BAD_REQUEST', detail: expect.stringMatching(/last active admin/) });
    const admins = (await staff.list()).filter((u) => u.role === 'admin' && u.status === 'active');
    expect(admins).toHaveLength(1);
  });
});
