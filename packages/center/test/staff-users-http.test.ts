/**
 * Staff accounts and API tokens over real HTTP on each dialect: admins create accounts (with a one-time login
 * link), change roles, disable accounts and issue login links; every staff member lists and revokes their own
 * API tokens; the last active admin stays one, also when two admins demote each other at once. Revoked and
 * disabled credentials answer 401, other roles 404, and each change leaves its audit event. (A customer on
 * these routes: staff-http.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { Client, staffWorld, startTestCenter } from './support/http.js';
import type { Answer, StaffWorld, TestCenter } from './support/http.js';

const NOBODY = { userId: 'usr_00000000000000000000' };
const tokenOf = (link: string) => /#token=([A-Za-z0-9_-]+)$/.exec(link)![1]!;

/** The common error shape, with the request id also in the header. */
function expectError(answer: Answer, status: number, code: string, message?: RegExp): void {
  expect({ status: answer.status, code: answer.body?.error?.code }).toEqual({ status, code });
  expect(Object.keys(answer.body)).toEqual(['error']);
  expect(answer.body.error).toEqual({ code, message: expect.any(String), requestId: answer.headers.get('x-request-id') });
  if (message) expect(answer.body.error.message).toMatch(message);
}

describe.each(DIALECTS)('staff users and API tokens over HTTP on %s', (dialect) => {
  let tc: TestCenter;
  let admin: Client;
  let adminId: string;
  let sales: Client;
  let support: Client;
  let customerUserId: string;

  let sale: StaffWorld['sale'];
  let audited: StaffWorld['audited'];

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    ({ admin, adminId, sales, support, customerUserId, sale, audited } = await staffWorld(tc));
  });
  afterAll(async () => {
    await tc?.close();
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
      expectError(await client.post('/v1/staff/contracts', sale()), 404, 'NOT_FOUND');
      const changed = await admin.put(`/v1/staff/users/${userId}/role`, { role: 'sales' });
      expect(changed.status).toBe(200);
      expect(changed.body).toMatchObject({ id: userId, role: 'sales', status: 'active' });
      expect((await client.post('/v1/staff/contracts', sale())).status).toBe(201);
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
    const staff = tc.center.services.staffUsers;
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
