import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../src/daemon.js';
import { admin, call, DAY, licenseFor, makeWorld, start, T0 } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let lm: Daemon;
const checkout = (nodeId: string, role = 'query', product = 'graphdb') =>
  call(lm, 'POST', '/v1/seats/checkout', { product, role, nodeId, host: `${nodeId}.local` });
const heartbeat = (leaseId: string) => call(lm, 'POST', '/v1/seats/heartbeat', { leaseId });

beforeEach(async () => {
  world = makeWorld();
  lm = await start(world, { timers: { sweepMs: 60_000 } });
});
afterEach(async () => {
  await lm.close();
  world.cleanup();
});

async function load(change = {}) {
  const answer = await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid, change), force: true });
  expect(answer.status).toBe(200);
}

describe('without a license', () => {
  it('refuses every checkout with NO_LICENSE', async () => {
    const { status, body } = await checkout('q1');
    expect([status, body.error.code]).toEqual([403, 'NO_LICENSE']);
    expect(body.error.message).toMatch(/No license is in force/);
  });
});

describe('with a license for 2 query nodes', () => {
  beforeEach(() => load());

  it('grants seats up to the limit, with a lease token signed by the LM', async () => {
    const first = await checkout('q1');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ leaseId: expect.stringMatching(/^lse_/), ttlSeconds: 30, status: 'Normal', code: 'VALID' });
    expect(first.body.token).toMatch(/^tessera-lease:/);
    expect((await checkout('q2')).status).toBe(200);
    const third = await checkout('q3');
    expect([third.status, third.body.error.code]).toEqual([409, 'TOO_MANY_NODES']);
    expect(third.body.error.message).toMatch(/All 2 "query" seats are taken/);
    expect((await call(lm, 'GET', '/v1/usage')).body.roles.query).toEqual({ total: 2, used: 2, free: 0 });
  });

  it('gives a node that checks out again its own seat back, never a second one', async () => {
    const first = await checkout('q1');
    const again = await checkout('q1');
    expect(again.body.leaseId).toBe(first.body.leaseId);
    expect((await checkout('q2')).status).toBe(200);
    expect((await call(lm, 'GET', '/v1/usage')).body.leases).toHaveLength(2);
  });

  it('counts roles apart and refuses a role the license does not grant', async () => {
    await checkout('q1');
    await checkout('q2');
    expect((await checkout('s1', 'storage')).status).toBe(200);
    const { status, body } = await checkout('x1', 'analytics');
    expect([status, body.error.code]).toEqual([403, 'ROLE_NOT_LICENSED']);
  });

  it('never grants a seat to another product', async () => {
    const { status, body } = await checkout('e1', 'query', 'explorer');
    expect([status, body.error.code]).toEqual([403, 'PRODUCT_MISMATCH']);
  });

  it('frees a released seat at once', async () => {
    const first = await checkout('q1');
    await checkout('q2');
    expect((await call(lm, 'POST', '/v1/seats/release', { leaseId: first.body.leaseId })).body).toEqual({ released: true });
    expect((await checkout('q3')).status).toBe(200);
    expect((await call(lm, 'POST', '/v1/seats/release', { leaseId: first.body.leaseId })).status).toBe(404);
  });

  it('keeps a heartbeating node and frees a killed one after the TTL', async () => {
    const alive = await checkout('q1');
    const killed = await checkout('q2');
    world.clock.advance(20_000);
    expect((await heartbeat(alive.body.leaseId)).status).toBe(200);
    world.clock.advance(15_000); // q2 last seen 35 s ago, TTL 30 s; q1 renewed 15 s ago
    expect((await heartbeat(killed.body.leaseId)).body.error.code).toBe('LEASE_NOT_FOUND');
    expect((await heartbeat(alive.body.leaseId)).status).toBe(200);
    expect((await checkout('q3')).status).toBe(200);
  });

  it('keeps a renewal across a restart: renewals are written in batches, and on shutdown', async () => {
    const lease = await checkout('q1');
    world.clock.advance(20_000);
    expect((await heartbeat(lease.body.leaseId)).status).toBe(200);
    await lm.close();
    world.clock.advance(20_000); // 40 s after checkout (TTL 30 s), 20 s after the renewal
    lm = await start(world, { timers: { sweepMs: 60_000 } });
    expect((await heartbeat(lease.body.leaseId)).status).toBe(200);
    expect((await call(lm, 'GET', '/v1/usage')).body.leases.map((l: any) => l.leaseId)).toEqual([lease.body.leaseId]);
  });

  it('frees run-out seats at the limit even before the sweep runs', async () => {
    await checkout('q1');
    await checkout('q2');
    world.clock.advance(31_000);
    expect((await checkout('q3')).status).toBe(200);
    expect((await call(lm, 'GET', '/v1/usage')).body.leases.map((l: any) => l.nodeId)).toEqual(['q3']);
    expect(lm.services.seats.sweep()).toBe(0);
  });

  it('the periodic sweep frees run-out seats', async () => {
    await checkout('q1');
    await checkout('s1', 'storage');
    world.clock.advance(31_000);
    expect(lm.services.seats.sweep()).toBe(2);
    expect((await call(lm, 'GET', '/v1/usage')).body.roles.query.used).toBe(0);
  });

  it('keeps granting and renewing in grace, and stops once grace is over', async () => {
    await load({ serial: 2, expiresAt: new Date(T0 + 10_000).toISOString(), graceDays: 1 });
    const lease = await checkout('q1');
    expect(lease.body).toMatchObject({ status: 'Expiring', code: 'EXPIRING' });
    world.clock.advance(20_000); // expired 10 s ago, within the lease TTL
    expect((await heartbeat(lease.body.leaseId)).body).toMatchObject({ status: 'Grace', code: 'IN_GRACE' });
    expect((await checkout('q2')).body.status).toBe('Grace');
    await load({ serial: 3, expiresAt: new Date(T0 + 10_000).toISOString(), graceDays: 0 });
    const hb = await heartbeat(lease.body.leaseId);
    expect([hb.status, hb.body.error.code]).toEqual([403, 'EXPIRED']);
    expect((await checkout('q3')).body.error.code).toBe('EXPIRED');
    world.clock.advance(DAY);
    expect((await heartbeat(lease.body.leaseId)).body.error.code).toBe('LEASE_NOT_FOUND');
  });

  it('applies a newly loaded key on the next request, without a restart', async () => {
    await checkout('q1');
    await checkout('q2');
    expect((await checkout('q3')).status).toBe(409);
    await load({ serial: 2, nodes: { query: 3, storage: 3 } });
    expect((await checkout('q3')).status).toBe(200);
  });

  it('stops renewing the seats of a role a new license no longer grants', async () => {
    const storage = await checkout('s1', 'storage');
    const query = await checkout('q1');
    await load({ serial: 2, nodes: { query: 2 } });
    const refused = await heartbeat(storage.body.leaseId);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'ROLE_NOT_LICENSED']);
    expect(refused.body.error.message).toMatch(/no longer grants "storage" nodes/);
    expect((await heartbeat(query.body.leaseId)).status).toBe(200);
  });

  it('when a new license grants fewer seats, the oldest seats are renewed and the newest end with their lease', async () => {
    const leases = [];
    for (const node of ['s1', 's2', 's3']) {
      leases.push((await checkout(node, 'storage')).body.leaseId as string);
      world.clock.advance(1000);
    }
    await load({ serial: 2, nodes: { query: 2, storage: 2 } });
    expect((await heartbeat(leases[0]!)).status).toBe(200);
    expect((await heartbeat(leases[1]!)).status).toBe(200);
    const newest = await heartbeat(leases[2]!);
    expect(newest.body.error.code).toBe('TOO_MANY_NODES');
    expect(newest.body.error.message).toMatch(/now grants 2 "storage" seats/);
    // The two oldest keep renewing; the newest ends with its lease, and the count is within the license again.
    for (let round = 0; round < 2; round++) {
      world.clock.advance(20_000);
      expect((await heartbeat(leases[0]!)).status).toBe(200);
      expect((await heartbeat(leases[1]!)).status).toBe(200);
    }
    expect((await heartbeat(leases[2]!)).body.error.code).toBe('LEASE_NOT_FOUND');
    expect((await call(lm, 'GET', '/v1/usage')).body.roles.storage).toEqual({ total: 2, used: 2, free: 0 });
  });

  it('answers bad seat requests with BAD_REQUEST', async () => {
    for (const body of [
      {},
      { product: 'graphdb', role: 'query' },
      { product: 'Graph DB', role: 'query', nodeId: 'x' },
      { product: 'graphdb', role: 'query', nodeId: '' },
    ]) {
      const answer = await call(lm, 'POST', '/v1/seats/checkout', body);
      expect([answer.status, answer.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    }
    const raw = await fetch(`${lm.url}/v1/seats/heartbeat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as any).error.code).toBe('BAD_REQUEST');
  });
});
