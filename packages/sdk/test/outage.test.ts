/** A License Manager that cannot be reached: the seat lasts as long as its lease, then the node waits for the LM. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import { call, recordChanges, startLm, until, usedSeats } from './support/lm.js';
import type { TestLm } from './support/lm.js';
import { startProxy } from './support/proxy.js';
import type { Proxy } from './support/proxy.js';
import { TestTimers } from './support/timers.js';

let lm: TestLm;
let proxy: Proxy;
let connection: Connection;
let timers: TestTimers;
const heartbeats = () => proxy.seen['/v1/seats/heartbeat'] ?? 0;

beforeEach(async () => {
  lm = await startLm({ ttlSeconds: 5 });
  proxy = await startProxy(lm.url);
  timers = new TestTimers();
  connection = await connect({
    ...lm.sdk,
    url: proxy.url,
    product: 'graphdb',
    role: 'query',
    nodeId: 'q1',
    heartbeatMs: 50,
    timeoutMs: 1000,
    timers,
  });
});
afterEach(async () => {
  await connection.close();
  await proxy.close();
  await lm.cleanup();
});

describe('an LM outage', () => {
  it('is ridden out while the lease lasts; then the node is unlicensed, and licensed again when the LM is back', async () => {
    const changes = recordChanges(connection);
    proxy.down = true;
    const before = heartbeats();
    await until(() => heartbeats() >= before + 3, 'three heartbeats without an answer');
    expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID' });
    expect(connection.isEnabled('scan')).toBe(true);
    expect(changes).toEqual([]);

    timers.advance(5000); // the lease's TTL of the SDK's schedule passes: its deadline comes, with no renewal
    await until(() => !connection.status().licensed, 'the lease runs out');
    expect(connection.status()).toMatchObject({ licensed: false, status: 'Unreachable', code: 'LM_UNREACHABLE', seat: null });
    expect(connection.status().message).toMatch(/License Manager at http:\/\/127\.0\.0\.1:\d+ cannot be reached .*graphdb node "q1"/);
    expect(connection.status().features).toEqual(['scan']); // what the license said is kept, but not granted
    expect(connection.isEnabled('scan')).toBe(false);
    const retries = heartbeats() + (proxy.seen['/v1/license'] ?? 0);
    await until(() => heartbeats() + (proxy.seen['/v1/license'] ?? 0) > retries + 3, 'it keeps trying');

    proxy.down = false;
    await until(() => connection.status().licensed, 'the seat taken again');
    expect(connection.status()).toMatchObject({ status: 'Normal', code: 'VALID', seat: { leaseId: expect.stringMatching(/^lse_/) } });
    expect(changes.map((c) => [c.state.licensed, c.state.code])).toEqual([
      [false, 'LM_UNREACHABLE'],
      [true, 'VALID'],
    ]);
    expect(await usedSeats(lm)).toEqual({ query: 1, storage: 0 });
  });

  it('that let others take every seat leaves the node refused, until the license is expanded', async () => {
    proxy.down = true;
    lm.world.clock.advance(6000); // the node's lease runs out at the LM while it cannot renew
    for (const nodeId of ['q2', 'q3']) {
      const taken = await call(lm.daemon, 'POST', '/v1/seats/checkout', {
        product: 'graphdb',
        role: 'query',
        nodeId,
        instance: `proc-${nodeId}`,
      });
      expect(taken.status).toBe(200);
    }
    proxy.down = false;
    await until(() => connection.status().code === 'TOO_MANY_NODES', 'the node refused');
    expect(connection.status()).toMatchObject({ licensed: false, status: 'Normal', seat: null });
    expect(connection.status().message).toMatch(/All 2 "query" seats are taken.*It keeps trying/);

    await lm.load({ serial: 2, nodes: { query: 3, storage: 3 } });
    await until(() => connection.status().licensed, 'the seat granted after the expansion');
    expect(connection.status()).toMatchObject({ code: 'VALID', serial: 2, nodes: { query: 3, storage: 3 } });
    expect(await usedSeats(lm)).toEqual({ query: 3, storage: 0 });
  });
});
