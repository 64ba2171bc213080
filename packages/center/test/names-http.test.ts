/**
 * GET /v1/staff/names on each dialect: the names of customers, products and users by id (what staff pages show
 * instead of ids); ids that name nothing or are of another kind are left out; a customer gets 404, bad ids 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './support/databases.js';
import { staffWorld, startTestCenter } from './support/http.js';
import type { StaffWorld, TestCenter } from './support/http.js';

describe.each(DIALECTS)('staff names over HTTP on %s', (dialect) => {
  let tc: TestCenter;
  let world: StaffWorld;

  beforeAll(async () => {
    tc = await startTestCenter(dialect);
    world = await staffWorld(tc);
  });
  afterAll(async () => {
    await tc?.close();
  });

  it('names customers, products and users; leaves out what names nothing', async () => {
    const ids = [world.customerId, world.productId, world.adminId, world.customerUserId, 'cus_nothere', 'lic_abc', 'cli'];
    const answer = await world.support.get(`/v1/staff/names?ids=${ids.join(',')}`);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      names: {
        [world.customerId]: 'Customer of buyer@acme.example',
        [world.productId]: 'Graph DB',
        [world.adminId]: 'admin@vendor.example',
        [world.customerUserId]: 'buyer@acme.example',
      },
    });
  });

  it('refuses ids that are not ids (400), and answers a customer 404', async () => {
    expect((await world.admin.get('/v1/staff/names?ids=cus_1;drop')).status).toBe(400);
    expect((await world.customer.get(`/v1/staff/names?ids=${world.customerId}`)).status).toBe(404);
  });
});
