/** close() while a round is on its way: it waits for the round, so a checkout in flight is released, not left to run out. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import { call, leaseInstance, startLm, until, usedSeats } from './support/lm.js';
import type { TestLm } from './support/lm.js';
import { startProxy } from './support/proxy.js';
import type { Proxy } from './support/proxy.js';
import { TestTimers } from './support/timers.js';

const CHECKOUT = '/v1/seats/checkout';
let lm: TestLm;
let proxy: Proxy;
let connection: Connection;
let timers: TestTimers;

beforeEach(async () => {
  lm = await startLm({ ttlSeconds: 30 });
  proxy = await startProxy(lm.url);
  timers = new TestTimers();
  connection = await connect({ ...lm.sdk, url: proxy.url, product: 'graphdb', role: 'query', nodeId: 'q1', heartbeatMs: 50, timers });
});
afterEach(async () => {
  await connection.close();
  await proxy.close();
  await lm.cleanup();
});

describe('close()', () => {
  it('during a checkout in flight waits for it and releases the seat it brings', async () => {
    // The LM forgets the lease, so the next heartbeat (LEASE_NOT_FOUND) leads to a checkout, held back on the way.
    const checkouts = proxy.seen[CHECKOUT] ?? 0;
    proxy.delay = (path) => (path === CHECKOUT ? 1000 : 0);
    const seat = { leaseId: connection.status().seat!.leaseId, instance: leaseInstance(connection.status().seat!.token) };
    expect((await call(lm.daemon, 'POST', '/v1/seats/release', seat)).status).toBe(200);
    await until(() => (proxy.seen[CHECKOUT] ?? 0) > checkouts, 'a checkout on its way');

    await connection.close();
    expect(proxy.answered[CHECKOUT]).toBe(checkouts + 1); // close() waited for the checkout's answer
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
    expect(connection.status()).toMatchObject({ licensed: false, seat: null });

    // Nothing takes the seat again once closed: no timer is armed, so no round can run.
    expect(timers.pending()).toBe(0);
    timers.advance(60_000);
    expect(proxy.seen[CHECKOUT]).toBe(checkouts + 1);
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
  });

  it('during a heartbeat in flight releases the renewed seat', async () => {
    const heartbeats = proxy.seen['/v1/seats/heartbeat'] ?? 0;
    proxy.delay = (path) => (path === '/v1/seats/heartbeat' ? 500 : 0);
    await until(() => (proxy.seen['/v1/seats/heartbeat'] ?? 0) > heartbeats, 'a heartbeat on its way');
    await connection.close();
    expect(proxy.answered['/v1/seats/heartbeat']).toBeGreaterThan(heartbeats);
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
  });
});
