/** What a connection does after connect(): heartbeats, change events, refusals and recovery, LM restarts. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import { DAY, recordChanges, startLm, until, usedSeats } from './support/lm.js';
import type { TestLm } from './support/lm.js';

let lm: TestLm;
let connection: Connection;

beforeEach(async () => {
  lm = await startLm({ ttlSeconds: 3 });
  connection = await connect({ ...lm.sdk, product: 'graphdb', role: 'query', nodeId: 'q1', heartbeatMs: 50 });
});
afterEach(async () => {
  await connection.close();
  await lm.cleanup();
});

describe('heartbeats', () => {
  it('renew the lease, so the seat outlives its first TTL at the LM', async () => {
    const first = connection.status().seat!;
    lm.world.clock.advance(2000);
    await until(() => connection.status().seat!.expiresAt !== first.expiresAt, 'a renewal after the clock moved');
    lm.world.clock.advance(2000); // past the first lease's expiry: only renewals keep it
    await until(() => Date.parse(connection.status().seat!.expiresAt) > lm.world.clock.now(), 'a renewal after the first TTL');
    expect(connection.status()).toMatchObject({ licensed: true, seat: { leaseId: first.leaseId } });
    expect(await usedSeats(lm)).toEqual({ query: 1, storage: 0 });
  });
});

describe('change events', () => {
  it('follow a new serial with other features and limits, without a restart', async () => {
    const changes = recordChanges(connection);
    expect(connection.isEnabled('federation')).toBe(false);
    await lm.load({ serial: 2, features: ['scan', 'federation'], limits: { remote_clusters: 5 }, nodes: { query: 4, storage: 3 } });
    await until(() => changes.length > 0, 'a change event');
    expect(changes[0]!.previous).toMatchObject({ serial: 1, features: ['scan'], limits: { remote_clusters: 2 } });
    expect(changes[0]!.state).toMatchObject({ serial: 2, licensed: true, nodes: { query: 4, storage: 3 } });
    expect(connection.isEnabled('federation')).toBe(true);
    expect(connection.limit('remote_clusters')).toBe(5);
  });

  it('follow the status into Expiring, the node keeping its seat', async () => {
    const changes = recordChanges(connection);
    lm.world.clock.advance(340 * DAY); // 25 days left of 365, inside the 30 warn days
    await until(() => connection.status().status === 'Expiring', 'status Expiring');
    expect(connection.status()).toMatchObject({ licensed: true, code: 'EXPIRING' });
    expect(changes.map((c) => c.state.code)).toEqual(['EXPIRING']);
  });

  it('are not emitted when nothing a product cares about changed', async () => {
    const changes = recordChanges(connection);
    const first = connection.status().seat!.expiresAt;
    lm.world.clock.advance(1000);
    await until(() => connection.status().seat!.expiresAt !== first, 'a renewal');
    expect(changes).toEqual([]);
  });

  it('stop when the listener is removed', async () => {
    const seen: string[] = [];
    const listener = () => seen.push('change');
    connection.on('change', listener).off('change', listener);
    await lm.load({ serial: 2, features: [] });
    await until(() => connection.status().serial === 2, 'the new serial');
    expect(seen).toEqual([]);
  });
});

describe('a seat refused later', () => {
  it('makes the node unlicensed when the license expires past grace, and licensed again with a renewed key', async () => {
    const changes = recordChanges(connection);
    lm.world.clock.advance(400 * DAY); // a year and 35 days: past expiry and the 14 grace days
    await until(() => !connection.status().licensed, 'the node loses its seat');
    expect(connection.status()).toMatchObject({ licensed: false, status: 'Expired', code: 'EXPIRED', seat: null });
    expect(connection.status().message).toMatch(/graphdb node "q1" \(role query\) has no seat.*It keeps trying/);
    expect(connection.isEnabled('scan')).toBe(false);
    expect(connection.limit('remote_clusters')).toBe(0);

    await lm.load({ serial: 2 }); // issued relative to the moved clock: valid for another year
    await until(() => connection.status().licensed, 'the node takes its seat back');
    expect(connection.status()).toMatchObject({ status: 'Normal', code: 'VALID', serial: 2 });
    expect(changes.map((c) => [c.state.licensed, c.state.code])).toEqual([
      [false, 'EXPIRED'],
      [true, 'VALID'],
    ]);
  });
});

describe('an LM restart', () => {
  it('that forgot the lease gets a checkout with the same node id, with no unlicensed blip', async () => {
    const changes = recordChanges(connection);
    const before = connection.status().seat!.leaseId;
    await lm.stop();
    lm.world.clock.advance(60_000); // the lease runs out at the LM while it is down, so it comes back without it
    await lm.restart();
    await until(() => connection.status().seat?.leaseId !== before, 'a new lease');
    expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID' });
    expect(changes).toEqual([]);
    expect(await usedSeats(lm)).toEqual({ query: 1, storage: 0 });
  });

  it('that kept the lease goes on renewing the same one', async () => {
    const before = connection.status().seat!;
    await lm.restart();
    lm.world.clock.advance(1000);
    await until(() => connection.status().seat!.expiresAt !== before.expiresAt, 'a renewal after the restart');
    expect(connection.status()).toMatchObject({ licensed: true, seat: { leaseId: before.leaseId } });
  });
});
