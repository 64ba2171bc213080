/**
 * A license's history over real HTTP on each dialect, as its customer sees it and as staff do: the customer sees
 * what changed and who as a word (customer, vendor, system), never a staff member's id or the reasons staff gave;
 * staff see everything.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { staffWorld, startTestCenter } from './support/http.js';
import type { StaffWorld, TestCenter } from './support/http.js';
import { makeLm } from './support/licensing.js';

const DAY = 86_400_000;
const REASONS = ['host replaced, ticket 4711', 'invoice 1042 overdue, call Bob first', 'paid per Bob'];

describe.each(DIALECTS)("a license's history on %s", (dialect) => {
  let tc: TestCenter;
  let world: StaffWorld;

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    world = await staffWorld(tc);
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('shows the customer the changes without staff ids or internal reasons; staff see who and why', async () => {
    const { admin, customer } = world;
    const now = tc.clock.now();
    const created = await admin.post('/v1/staff/licenses', {
      customerId: world.customerId,
      productId: world.productId,
      nodes: { query: 2 },
      startsAt: now,
      expiresAt: now + 365 * DAY,
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const [first, second] = [makeLm().lmid, makeLm().lmid];
    expect((await customer.post(`/v1/licenses/${id}/bind`, { lmid: first })).status).toBe(200);
    const { client: supportClient, userId: supportId } = await tc.staff('support2@vendor.example', 'support');
    expect((await supportClient.post(`/v1/staff/licenses/${id}/rebind`, { lmid: second, reason: REASONS[0] })).status).toBe(200);
    expect((await admin.post(`/v1/staff/licenses/${id}/suspend`, { reason: REASONS[1] })).status).toBe(200);
    expect((await admin.post(`/v1/staff/licenses/${id}/resume`, { reason: REASONS[2] })).status).toBe(200);
    // A background job's change (the auto-renewal's actor), through the service it uses.
    expect((await tc.center.services.licenses.renew(id, 1, 'job:auto-renew')).ok).toBe(true);

    const mine = await customer.get(`/v1/licenses/${id}`);
    expect(mine.status).toBe(200);
    expect(mine.body.history.map((h: { kind: string; actor: string }) => [h.kind, h.actor])).toEqual([
      ['renewed', 'system'],
      ['resumed', 'vendor'],
      ['suspended', 'vendor'],
      ['rebound', 'vendor'],
      ['bound', 'customer'],
      ['created', 'vendor'],
    ]);
    expect(mine.body.history.find((h: { kind: string }) => h.kind === 'rebound').detail).toEqual({ lmid: second, previous: first });
    expect(mine.body.history.find((h: { kind: string }) => h.kind === 'suspended').detail).toEqual({
      status: 'suspended',
      previous: 'active',
    });
    const seen = JSON.stringify(mine.body);
    expect(seen).not.toMatch(/usr_/);
    for (const reason of REASONS) expect(seen).not.toContain(reason);
    expect(seen).not.toContain('reason');

    const staffView = await supportClient.get(`/v1/staff/licenses/${id}`);
    expect(staffView.body.history.map((h: { kind: string; actor: string }) => [h.kind, h.actor])).toEqual([
      ['renewed', 'job:auto-renew'],
      ['resumed', world.adminId],
      ['suspended', world.adminId],
      ['rebound', supportId],
      ['bound', world.customerUserId],
      ['created', world.adminId],
    ]);
    expect(staffView.body.history.map((h: { detail: { reason?: string } }) => h.detail.reason).filter(Boolean)).toEqual([
      REASONS[2],
      REASONS[1],
      REASONS[0],
    ]);
  });
});
