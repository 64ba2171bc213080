import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { decodeBase64Url, parseEnvelope, publicKeyFromRaw, verifyEnvelope } from '@tessera/core';
import type { Daemon } from '../src/daemon.js';
import { admin, call, DAY, licenseFor, makeWorld, start, T0 } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let lm: Daemon;
// One process per node id unless a test says otherwise, as the SDK makes one instance id per connection; the
// instance a lease was checked out with is remembered so heartbeat() sends it.
const owners = new Map<string, string>();
async function checkout(nodeId: string, role = 'query', product = 'graphdb', instance = `proc-${nodeId}`) {
  const answer = await call(lm, 'POST', '/v1/seats/checkout', { product, role, nodeId, instance, host: `${nodeId}.local` });
  if (answer.status === 200) owners.set(answer.body.leaseId, instance);
  return answer;
}
const heartbeat = (leaseId: string, instance = owners.get(leaseId) ?? 'nobody') =>
  call(lm, 'POST', '/v1/seats/heartbeat', { leaseId, instance });

/** A lease token's payload, after checking it is signed by this LM's key under its LMID. */
async function signedPayload(token: string): Promise<Record<string, unknown>> {
  const envelope = parseEnvelope(token, 'lease');
  if (!envelope.ok) throw new Error(envelope.detail);
  const { lmPublicKey } = (await call(lm, 'GET', '/v1/license')).body;
  expect(verifyEnvelope(envelope.value, publicKeyFromRaw(decodeBase64Url(lmPublicKey)!)!)).toBe(true);
  expect(envelope.value.kid).toBe(lm.lmid);
  return envelope.value.payload;
}

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

  it('gives the same instance checking out again (a retry) its own seat back, never a second one', async () => {
    const first = await checkout('q1');
    const again = await checkout('q1');
    expect(again.body.leaseId).toBe(first.body.leaseId);
    expect((await checkout('q2')).status).toBe(200);
    expect((await call(lm, 'GET', '/v1/usage')).body.leases).toHaveLength(2);
  });

  it('refuses a second process with a live node id: NODE_ID_IN_USE, naming the holder and when its seat frees', async () => {
    const first = await checkout('s1', 'storage', 'graphdb', 'proc-a');
    const second = await checkout('s1', 'storage', 'graphdb', 'proc-b');
    expect([second.status, second.body.error.code]).toEqual([409, 'NODE_ID_IN_USE']);
    expect(second.body.error.message).toBe(
      `Another process already runs as graphdb storage node "s1" (host s1.local, since ${new Date(T0).toISOString()}). ` +
        `Stop it or give this one another node id; if that process was killed, its seat is free at ${first.body.expiresAt}.`,
    );
    expect((await call(lm, 'GET', '/v1/usage')).body.roles.storage.used).toBe(1);
    // Once the holder releases, the node id is free for another process.
    await call(lm, 'POST', '/v1/seats/release', { leaseId: first.body.leaseId, instance: 'proc-a' });
    expect((await checkout('s1', 'storage', 'graphdb', 'proc-b')).status).toBe(200);
  });

  it("lets a killed process's replacement in once the old lease runs out", async () => {
    await checkout('q1', 'query', 'graphdb', 'proc-killed');
    world.clock.advance(29_000);
    expect((await checkout('q1', 'query', 'graphdb', 'proc-new')).body.error.code).toBe('NODE_ID_IN_USE');
    world.clock.advance(2_000);
    const replacement = await checkout('q1', 'query', 'graphdb', 'proc-new');
    expect(replacement.status).toBe(200);
    expect((await call(lm, 'GET', '/v1/usage')).body.roles.query.used).toBe(1);
  });

  it('answers LEASE_NOT_FOUND to a heartbeat from another instance, and does not renew the lease', async () => {
    const lease = await checkout('q1');
    world.clock.advance(20_000);
    const stranger = await heartbeat(lease.body.leaseId, 'proc-other');
    expect([stranger.status, stranger.body.error.code]).toEqual([404, 'LEASE_NOT_FOUND']);
    world.clock.advance(11_000); // 31 s after checkout: the stranger's heartbeat did not move the expiry
    expect((await heartbeat(lease.body.leaseId)).body.error.code).toBe('LEASE_NOT_FOUND');
  });

  it('answers a heartbeat a while after the last token with a new lease token signed by the LM, carrying the instance', async () => {
    const lease = await checkout('q1');
    world.clock.advance(10_000);
    const renewed = await heartbeat(lease.body.leaseId, 'proc-q1');
    expect(renewed.status).toBe(200);
    const payload = await signedPayload(renewed.body.token);
    expect(payload).toMatchObject({
      leaseId: lease.body.leaseId,
      lmid: lm.lmid,
      product: 'graphdb',
      role: 'query',
      nodeId: 'q1',
      instance: 'proc-q1',
      issuedAt: new Date(T0 + 10_000).toISOString(),
      expiresAt: renewed.body.expiresAt,
    });
    expect(payload).not.toHaveProperty('nonce');
    expect(renewed.body.expiresAt).toBe(new Date(T0 + 40_000).toISOString());
  });

  it('answers quick heartbeats with the same token, and a new one with a later issuedAt once it is TTL/6 old', async () => {
    const lease = await checkout('q1'); // TTL 30 s: a token is answered again for 5 s
    world.clock.advance(1_000);
    const quick = await heartbeat(lease.body.leaseId);
    expect(quick.body.token).toBe(lease.body.token);
    world.clock.advance(3_999);
    const last = await heartbeat(lease.body.leaseId);
    expect(last.body.token).toBe(lease.body.token);
    // The lease itself is renewed by every heartbeat, whichever token answers it.
    expect(last.body.expiresAt).toBe(new Date(T0 + 4_999 + 30_000).toISOString());

    world.clock.advance(1);
    const fresh = await heartbeat(lease.body.leaseId);
    expect(fresh.body.token).not.toBe(lease.body.token);
    expect(await signedPayload(fresh.body.token)).toMatchObject({
      issuedAt: new Date(T0 + 5_000).toISOString(),
      expiresAt: new Date(T0 + 35_000).toISOString(),
    });
    world.clock.advance(10);
    expect((await heartbeat(lease.body.leaseId)).body.token).toBe(fresh.body.token);
  });

  it('names the license id and serial in force in every token, and signs a new one at once for another license id', async () => {
    const lease = await checkout('q1');
    expect(await signedPayload(lease.body.token)).toMatchObject({ licenseId: 'lic_lmtest', serial: 1 });
    world.clock.advance(1_000);
    // Another license (a renewal issued under a new id) with the same serial: still a new token, within TTL/6.
    await load({ id: 'lic_renewed' });
    const renewed = await heartbeat(lease.body.leaseId);
    expect(renewed.body.token).not.toBe(lease.body.token);
    expect(await signedPayload(renewed.body.token)).toMatchObject({ licenseId: 'lic_renewed', serial: 1 });
  });

  it('signs a new token at once for a newly loaded license serial, and after a restart (the last token is memory only)', async () => {
    const lease = await checkout('q1');
    world.clock.advance(1_000);
    await load({ serial: 2 });
    const reloaded = await heartbeat(lease.body.leaseId);
    expect(await signedPayload(reloaded.body.token)).toMatchObject({ serial: 2, issuedAt: new Date(T0 + 1_000).toISOString() });

    await lm.close();
    world.clock.advance(1_000);
    lm = await start(world, { timers: { sweepMs: 60_000 } });
    const restarted = await heartbeat(lease.body.leaseId);
    expect(restarted.body.token).not.toBe(reloaded.body.token);
    expect(await signedPayload(restarted.body.token)).toMatchObject({ issuedAt: new Date(T0 + 2_000).toISOString() });
  });

  it("keeps a lease's issuedAt growing when the clock steps back", async () => {
    const lease = await checkout('q1');
    world.clock.advance(20_000);
    const before = await heartbeat(lease.body.leaseId);
    expect(await signedPayload(before.body.token)).toMatchObject({ issuedAt: new Date(T0 + 20_000).toISOString() });
    world.clock.set(T0 + 10_000);
    const after = await heartbeat(lease.body.leaseId);
    expect(after.body.token).not.toBe(before.body.token);
    expect(await signedPayload(after.body.token)).toMatchObject({
      issuedAt: new Date(T0 + 20_001).toISOString(),
      expiresAt: new Date(T0 + 40_000).toISOString(),
    });
  });

  it('shows no lease ids in the public usage, so nobody on the LAN can release a seat', async () => {
    const lease = await checkout('q1');
    const usage = await call(lm, 'GET', '/v1/usage');
    expect(usage.body.leases).toEqual([
      {
        product: 'graphdb',
        role: 'query',
        nodeId: 'q1',
        host: 'q1.local',
        since: new Date(T0).toISOString(),
        expiresAt: lease.body.expiresAt,
      },
    ]);
    expect(JSON.stringify(usage.body)).not.toContain(lease.body.leaseId);
    expect(String((await call(lm, 'GET', '/')).body)).not.toContain(lease.body.leaseId);
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
    expect([status, body.error.code]).toEqual([409, 'PRODUCT_MISMATCH']);
  });

  it('frees a released seat at once', async () => {
    const first = await checkout('q1');
    await checkout('q2');
    const release = { leaseId: first.body.leaseId, instance: 'proc-q1' };
    expect((await call(lm, 'POST', '/v1/seats/release', release)).body).toEqual({ released: true });
    expect((await checkout('q3')).status).toBe(200);
    expect((await call(lm, 'POST', '/v1/seats/release', release)).status).toBe(404);
  });

  it("refuses to release another instance's lease exactly as an unknown one, and keeps the seat", async () => {
    const lease = await checkout('q1');
    const stranger = await call(lm, 'POST', '/v1/seats/release', { leaseId: lease.body.leaseId, instance: 'proc-other' });
    const unknown = await call(lm, 'POST', '/v1/seats/release', { leaseId: 'lse_unknown', instance: 'proc-other' });
    expect([stranger.status, stranger.body.error.code, stranger.body.error.message]).toEqual([
      unknown.status,
      unknown.body.error.code,
      unknown.body.error.message,
    ]);
    expect([stranger.status, stranger.body.error.code]).toEqual([404, 'LEASE_NOT_FOUND']);
    expect((await heartbeat(lease.body.leaseId)).status).toBe(200);
    expect((await call(lm, 'GET', '/v1/usage')).body.roles.query.used).toBe(1);
    // A release without the instance (as SDKs before it sent) is a bad request, not a release.
    const bare = await call(lm, 'POST', '/v1/seats/release', { leaseId: lease.body.leaseId });
    expect([bare.status, bare.body.error.code]).toEqual([400, 'BAD_REQUEST']);
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
    expect((await call(lm, 'GET', '/v1/usage')).body.leases.map((l: any) => l.nodeId)).toEqual(['q1']);
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

  it('when a new license grants fewer seats, the oldest seats are renewed and the newest are not', async () => {
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
    expect(newest.body.error.message).toMatch(
      /now grants 2 "storage" seats and 2 older nodes hold them; this node's seat is not renewed\./,
    );
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
      { product: 'graphdb', role: 'query', nodeId: '', instance: 'p1' },
      { product: 'graphdb', role: 'query', nodeId: 'q1' },
      { product: 'graphdb', role: 'query', nodeId: 'q1', instance: '' },
      { product: 'graphdb', role: 'query', nodeId: 'q1', instance: 'x'.repeat(65) },
    ]) {
      const answer = await call(lm, 'POST', '/v1/seats/checkout', body);
      expect([answer.status, answer.body.error.code]).toEqual([400, 'BAD_REQUEST']);
    }
    const lease = await checkout('q1');
    for (const body of [
      { leaseId: lease.body.leaseId },
      { instance: 'proc-q1' },
      { leaseId: lease.body.leaseId, instance: '' },
      { leaseId: lease.body.leaseId, nonce: 'AAAAAAAAAAAAAAAAAAAAAA' },
      // The nonce of earlier SDKs is gone from the API: an unknown field is refused, not ignored.
      { leaseId: lease.body.leaseId, instance: 'proc-q1', nonce: 'AAAAAAAAAAAAAAAAAAAAAA' },
    ]) {
      const answer = await call(lm, 'POST', '/v1/seats/heartbeat', body);
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

describe('leases stored before instances existed', () => {
  it('belong to no process: no checkout takes them over and no heartbeat renews them; they end with their lease', async () => {
    await load();
    const old = await checkout('q1');
    await lm.close();
    // What the migration leaves for a lease written by an older LM: no instance.
    const db = new Database(join(world.config.dataPath, 'state.db'));
    db.prepare('UPDATE leases SET instance = NULL').run();
    db.close();
    lm = await start(world, { timers: { sweepMs: 60_000 } });
    expect((await checkout('q1')).body.error.code).toBe('NODE_ID_IN_USE');
    expect((await heartbeat(old.body.leaseId)).body.error.code).toBe('LEASE_NOT_FOUND');
    world.clock.advance(31_000);
    expect((await checkout('q1')).status).toBe(200);
  });
});
