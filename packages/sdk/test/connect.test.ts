import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, LicenseError } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import { DAY, startLm, usedSeats } from './support/lm.js';
import { TestTimers } from './support/timers.js';
import type { TestLm } from './support/lm.js';

let lm: TestLm;
async function refusal(promise: Promise<unknown>): Promise<LicenseError> {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(LicenseError);
  return outcome as LicenseError;
}
const open: Connection[] = [];
async function node(nodeId: string, role = 'query', extra: object = {}): Promise<Connection> {
  const connection = await connect({ ...lm.sdk, product: 'graphdb', role, nodeId, ...extra });
  open.push(connection);
  return connection;
}

beforeEach(async () => {
  lm = await startLm();
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await lm.cleanup();
});

describe('connect', () => {
  it('checks the license, takes a seat and reports features, limits and nodes', async () => {
    const connection = await node('q1');
    const state = connection.status();
    expect(state).toMatchObject({
      licensed: true,
      status: 'Normal',
      code: 'VALID',
      licenseId: 'lic_lmtest',
      serial: 1,
      features: ['scan'],
      limits: { remote_clusters: 2 },
      nodes: { query: 2, storage: 3 },
      seat: { leaseId: expect.stringMatching(/^lse_/) },
    });
    expect(state.message).toMatch(/graphdb node "q1" \(role query\) holds a seat/);
    expect(connection.isEnabled('scan')).toBe(true);
    expect(connection.isEnabled('federation')).toBe(false);
    expect(connection.limit('remote_clusters')).toBe(2);
    expect(connection.limit('other')).toBe(0);
    expect(await usedSeats(lm)).toEqual({ query: 1, storage: 0 });
  });

  it('rejects a node beyond the role limit with TOO_MANY_NODES and a sentence naming it', async () => {
    await node('q1');
    await node('q2');
    const refused = await node('q3').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LicenseError);
    const error = refused as LicenseError;
    expect(error.code).toBe('TOO_MANY_NODES');
    expect(error.message).toMatch(/graphdb node "q3" \(role query\) has no seat .*All 2 "query" seats are taken/);
    // The LM's sentence already says what to do; the SDK does not say it a second time.
    expect(error.message.match(/add nodes|more nodes/g)).toHaveLength(1);
    expect(error.state).toMatchObject({ licensed: false, status: 'Normal', code: 'TOO_MANY_NODES', seat: null });
  });

  it('releases the seat on close, once however often it is called', async () => {
    const connection = await node('q1');
    await Promise.all([connection.close(), connection.close()]);
    await connection.close();
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
    expect(connection.status()).toMatchObject({ licensed: false, seat: null });
    expect(connection.isEnabled('scan')).toBe(false);
  });

  it('sends nothing more once closed: no timer is left armed, so no heartbeat and no new checkout can come', async () => {
    const timers = new TestTimers();
    const connection = await node('q1', 'query', { heartbeatMs: 20, timers });
    expect(timers.pending()).toBe(2); // the next round and the lease's deadline
    await connection.close();
    expect(timers.pending()).toBe(0);
    const refusals = lm.daemon.services.counters.refusals.snapshot();
    timers.advance(DAY); // a day of the SDK's schedule: nothing is due, because nothing is armed
    expect(timers.pending()).toBe(0);
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
    expect(lm.daemon.services.counters.refusals.snapshot()).toEqual(refusals); // not even a LEASE_NOT_FOUND
  });

  it('refuses a second process with the same node id while the first holds the seat, and lets it in after close()', async () => {
    const first = await node('s1', 'storage', { host: 'h1' });
    const error = await refusal(node('s1', 'storage', { host: 'h2' }));
    expect(error.code).toBe('NODE_ID_IN_USE');
    expect(error.message).toMatch(
      /graphdb node "s1" \(role storage\) has no seat .*Another process already runs as graphdb storage node "s1" \(host h1, since .+\)\. Stop it or give this one another node id; if that process was killed, its seat is free at .+\./,
    );
    expect(error.state).toMatchObject({ licensed: false, status: 'Normal', code: 'NODE_ID_IN_USE', seat: null });
    expect(first.status()).toMatchObject({ licensed: true, code: 'VALID' });
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 1 });

    const firstLease = first.status().seat!.leaseId;
    await first.close();
    const second = await node('s1', 'storage', { host: 'h2' });
    expect(second.status()).toMatchObject({ licensed: true, seat: { leaseId: expect.stringMatching(/^lse_/) } });
    expect(second.status().seat!.leaseId).not.toBe(firstLease);
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 1 });
  });

  it('shows the verified lease token with the seat', async () => {
    const connection = await node('q1');
    expect(connection.status().seat).toEqual({
      leaseId: expect.stringMatching(/^lse_/),
      expiresAt: expect.any(String),
      token: expect.stringMatching(/^tessera-lease:/),
    });
  });

  it('accepts the address without http://', async () => {
    const connection = await connect({ ...lm.sdk, url: lm.url.replace('http://', ''), product: 'graphdb', role: 'storage', nodeId: 's1' });
    open.push(connection);
    expect(connection.status().licensed).toBe(true);
  });
});

describe('connect refused at start', () => {
  it('says NO_LICENSE and what to do when the LM holds no license', async () => {
    const empty = await startLm({ license: null });
    try {
      const error = await refusal(connect({ ...empty.sdk, product: 'graphdb', role: 'query', nodeId: 'q1' }));
      expect(error.code).toBe('NO_LICENSE');
      expect(error.message).toMatch(/graphdb node "q1" \(role query\) has no seat .*Load a license key into the License Manager/);
      expect(error.message).not.toMatch(/keeps trying/);
      expect(error.state).toMatchObject({ licensed: false, status: 'NotExist', seat: null });
    } finally {
      await empty.cleanup();
    }
  });

  it('says EXPIRED when the license is past its grace days', async () => {
    lm.world.clock.advance(400 * DAY);
    const error = await refusal(node('q1'));
    expect(error.code).toBe('EXPIRED');
    expect(error.state).toMatchObject({ status: 'Expired', licenseId: 'lic_lmtest' });
    expect(error.message).toMatch(/Renew the license/);
  });

  it('says ROLE_NOT_LICENSED for a role the license does not grant', async () => {
    const error = await refusal(node('a1', 'analytics'));
    expect(error.code).toBe('ROLE_NOT_LICENSED');
    expect(error.message).toMatch(/grants no "analytics" nodes/);
  });

  it('says PRODUCT_MISMATCH for another product', async () => {
    const error = await refusal(connect({ ...lm.sdk, product: 'guard', role: 'enforcer', nodeId: 'e1' }));
    expect(error.code).toBe('PRODUCT_MISMATCH');
    expect(error.state).toMatchObject({ status: 'Invalid' });
  });

  it('says LM_UNREACHABLE when nothing answers at the address', async () => {
    const url = lm.url;
    await lm.stop();
    const error = await refusal(connect({ ...lm.sdk, url, product: 'graphdb', role: 'query', nodeId: 'q1' }));
    expect(error.code).toBe('LM_UNREACHABLE');
    expect(error.message).toMatch(/The License Manager at http:\/\/127\.0\.0\.1:\d+ cannot be reached \(.+\)/);
    // At start nothing retries: the sentence says why it failed and to start the node again.
    expect(error.message).not.toMatch(/no usable answer|as soon as it answers/);
    expect(error.message).toMatch(/start the node again/);
    expect(error.state).toMatchObject({ licensed: false, status: 'Unreachable' });
  });
});
