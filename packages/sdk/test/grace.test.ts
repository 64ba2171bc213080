/**
 * Outage grace (DESIGN decision 10): silence is not refusal. A node whose License Manager is silent keeps its seat,
 * features and limits past its lease for the license's signed outageGraceHours (status Degraded), counted from the
 * last renewal it verified; an LM that answers and refuses ends the seat at once, grace or not. Time is moved, not
 * waited for: the SDK's timers (its monotonic clock) and the wall clock the LM and the SDK share.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '@tessera/sdk';
import type { Connection, ConnectOptions, LicenseError } from '@tessera/sdk';
import { DAY, call, recordChanges, startLm, until, usedSeats } from './support/lm.js';
import type { TestLm } from './support/lm.js';
import { startProxy } from './support/proxy.js';
import type { Proxy } from './support/proxy.js';
import { TestTimers } from './support/timers.js';

const HOUR = 3_600_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Setup {
  lm: TestLm;
  proxy: Proxy;
  timers: TestTimers;
  node: Connection;
  /** Moves the LM's and the SDK's wall clock and the SDK's timers ahead together, as time passing would. */
  pass(ms: number): void;
}

/** An LM (5 s leases) whose license carries `outageGraceHours`, and node q1 holding a seat through a proxy. */
async function setup(outageGraceHours: number | undefined, license: Record<string, unknown> = {}): Promise<Setup> {
  const lm = await startLm({ ttlSeconds: 5, license: { ...(outageGraceHours === undefined ? {} : { outageGraceHours }), ...license } });
  cleanups.push(() => lm.cleanup());
  const proxy = await startProxy(lm.url);
  cleanups.push(() => proxy.close());
  const timers = new TestTimers();
  const node = await connect(options(lm, proxy, timers, 'q1'));
  cleanups.push(() => node.close());
  const pass = (ms: number) => {
    lm.world.clock.advance(ms);
    timers.advance(ms);
  };
  return { lm, proxy, timers, node, pass };
}

function options(lm: TestLm, proxy: Proxy, timers: TestTimers, nodeId: string): ConnectOptions {
  return { ...lm.sdk, url: proxy.url, product: 'graphdb', role: 'query', nodeId, heartbeatMs: 50, timeoutMs: 1000, timers };
}

/** Takes both query seats for other nodes straight at the LM. */
async function fillRole(lm: TestLm): Promise<void> {
  for (const nodeId of ['q2', 'q3']) {
    const taken = await call(lm.daemon, 'POST', '/v1/seats/checkout', {
      product: 'graphdb',
      role: 'query',
      nodeId,
      instance: `proc-${nodeId}`,
    });
    expect(taken.status).toBe(200);
  }
}

const codes = (changes: ReturnType<typeof recordChanges>) => changes.map((c) => [c.state.status, c.state.licensed]);

describe('a License Manager silent for longer than the lease, grace 72 h', () => {
  it('silent for 71 h: the node keeps its seat, features and limits as Degraded; at 73 h the seat ends', async () => {
    const { proxy, node, pass } = await setup(72);
    const changes = recordChanges(node);
    const held = node.status().seat!;
    proxy.down = true;

    pass(71 * HOUR);
    await until(() => node.status().status === 'Degraded', 'Degraded');
    const degraded = node.status();
    expect(degraded).toMatchObject({
      licensed: true,
      status: 'Degraded',
      code: 'LM_UNREACHABLE',
      features: ['scan'],
      outageGraceHours: 72,
      seat: { leaseId: held.leaseId, token: held.token },
    });
    expect(Date.parse(degraded.outage!.graceEndsAt) - Date.parse(degraded.outage!.since)).toBe(72 * HOUR);
    expect(degraded.message).toMatch(
      /has not answered since .*graphdb node "q1" \(role query\) keeps its seat under the license's outage grace of 72 hours, until/,
    );
    expect(node.isEnabled('scan')).toBe(true);
    expect(node.limit('remote_clusters')).toBe(2);
    const rounds = proxy.seen['/v1/license'] ?? 0;
    await until(() => (proxy.seen['/v1/license'] ?? 0) > rounds + 3, 'rounds go on during the outage');
    expect(node.status()).toMatchObject({ licensed: true, status: 'Degraded' });

    pass(2 * HOUR);
    await until(() => !node.status().licensed, 'the grace runs out');
    expect(node.status()).toMatchObject({ status: 'Unreachable', code: 'LM_UNREACHABLE', seat: null, outage: null });
    expect(node.status().message).toMatch(/cannot be reached \(the license's outage grace of 72 hours ran out\)/);
    expect(node.isEnabled('scan')).toBe(false);
    expect(codes(changes)).toEqual([
      ['Degraded', true],
      ['Unreachable', false],
    ]);
  });

  it('comes back to Normal when the LM answers again, with a new seat where the LM forgot the old one', async () => {
    const { lm, proxy, node, pass } = await setup(72);
    const changes = recordChanges(node);
    const before = node.status().seat!.leaseId;
    proxy.down = true;
    pass(30 * HOUR);
    await until(() => node.status().status === 'Degraded', 'Degraded');

    proxy.down = false;
    await until(() => node.status().status === 'Normal', 'Normal again');
    expect(node.status()).toMatchObject({ licensed: true, code: 'VALID', outage: null });
    expect(node.status().seat!.leaseId).not.toBe(before); // the LM's lease ran out meanwhile: a checkout
    expect(codes(changes)).toEqual([
      ['Degraded', true],
      ['Normal', true],
    ]);
    expect(await usedSeats(lm)).toEqual({ query: 1, storage: 0 });
  });

  it('is refused when the LM comes back and its role was taken meanwhile (LEASE_NOT_FOUND, then TOO_MANY_NODES)', async () => {
    const { lm, proxy, node, pass } = await setup(72);
    const changes = recordChanges(node);
    proxy.down = true;
    pass(2 * HOUR);
    await until(() => node.status().status === 'Degraded', 'Degraded');
    await fillRole(lm); // the LM gave the node's seat away once its lease ran out there

    proxy.down = false;
    await until(() => !node.status().licensed, 'refused');
    expect(node.status()).toMatchObject({ status: 'Normal', code: 'TOO_MANY_NODES', seat: null, outage: null });
    expect(node.status().message).toMatch(/All 2 "query" seats are taken.*It keeps trying/);
    expect(codes(changes)).toEqual([
      ['Degraded', true],
      ['Normal', false],
    ]);
  });

  it('still ends when the license expires past its grace days meanwhile: the grace covers silence, not expiry', async () => {
    const { proxy, node, pass } = await setup(72, { expiresAt: new Date(Date.now() + DAY).toISOString(), graceDays: 0 });
    const changes = recordChanges(node);
    proxy.down = true;
    pass(25 * HOUR); // the license expired an hour ago by the SDK's clock; the outage grace has 47 hours left
    await until(() => !node.status().licensed, 'the expiry ends it');
    expect(node.status()).toMatchObject({ status: 'Expired', code: 'EXPIRED', seat: null });
    expect(changes.at(-1)!.state).toMatchObject({ status: 'Expired', licensed: false });
  });

  it('moves the seat to a restarted LM without a change when the LM kept the lease (a short outage)', async () => {
    const { lm, proxy, node } = await setup(72);
    const changes = recordChanges(node);
    const leaseId = node.status().seat!.leaseId;
    proxy.down = true;
    await lm.restart();
    const heartbeats = proxy.seen['/v1/seats/heartbeat'] ?? 0;
    await until(() => (proxy.seen['/v1/seats/heartbeat'] ?? 0) > heartbeats + 2, 'heartbeats without an answer');
    proxy.down = false;
    const seen = node.status().seat!.token;
    lm.world.clock.advance(1000); // past TTL/6: the LM signs a new token
    await until(() => node.status().seat!.token !== seen, 'a renewal');
    expect(node.status()).toMatchObject({ licensed: true, status: 'Normal', seat: { leaseId } });
    expect(changes).toEqual([]);
  });
});

describe('the longest grace (90 days)', () => {
  it('runs its whole length, though Node fires a timer of more than 2^31 ms (24.8 days) at once', async () => {
    const { proxy, node, pass } = await setup(2160);
    proxy.down = true;
    pass(30 * DAY);
    await until(() => node.status().status === 'Degraded', 'Degraded');
    const rounds = proxy.seen['/v1/license'] ?? 0;
    await until(() => (proxy.seen['/v1/license'] ?? 0) > rounds + 3, 'rounds at 30 days');
    expect(node.status()).toMatchObject({ licensed: true, status: 'Degraded' });
    pass(61 * DAY);
    await until(() => !node.status().licensed, 'the grace runs out');
    expect(node.status().message).toMatch(/outage grace of 2160 hours ran out/);
  });
});

describe('an LM that answers and refuses, grace 72 h or not', () => {
  it('ends the seat at once when the license lapsed (EXPIRED): no Degraded', async () => {
    const { lm, node } = await setup(72);
    const changes = recordChanges(node);
    const now = lm.world.clock.now();
    const past = (days: number) => new Date(now - days * DAY).toISOString();
    await lm.load({ serial: 2, outageGraceHours: 72, issuedAt: past(3), startsAt: past(3), expiresAt: past(1), graceDays: 0 });
    await until(() => !node.status().licensed, 'refused');
    expect(node.status()).toMatchObject({ status: 'Expired', code: 'EXPIRED', seat: null });
    expect(changes.map((c) => c.state.status)).not.toContain('Degraded');
  });

  it('ends the seat when the LM at its address lost its data and holds no license (NO_LICENSE)', async () => {
    const { lm, proxy, node } = await setup(72);
    const wiped = await startLm({ ttlSeconds: 5, license: null, world: { root: lm.world.root }, clock: lm.world.clock });
    cleanups.push(() => wiped.cleanup());
    proxy.route = () => wiped.url; // the same address, an LM with a new identity and nothing loaded
    await until(() => !node.status().licensed, 'refused');
    expect(node.status()).toMatchObject({ status: 'NotExist', code: 'NO_LICENSE', seat: null });
    expect(node.status().message).toMatch(/No license is loaded/);
  });

  it('ends the seat when the license no longer grants its role (a refused heartbeat after a verified read)', async () => {
    const { lm, node } = await setup(72);
    await lm.load({ serial: 2, outageGraceHours: 72, nodes: { storage: 3 } });
    await until(() => !node.status().licensed, 'refused');
    expect(node.status()).toMatchObject({ code: 'ROLE_NOT_LICENSED', seat: null });
  });
});

describe('strict (outageGraceHours 0)', () => {
  it('behaves as before the grace existed: unlicensed when the lease runs out, never Degraded', async () => {
    const { proxy, node, timers } = await setup(0);
    const changes = recordChanges(node);
    proxy.down = true;
    timers.advance(5000); // one lease TTL of the SDK's schedule, without an answer
    await until(() => !node.status().licensed, 'the lease runs out');
    expect(node.status()).toMatchObject({ status: 'Unreachable', code: 'LM_UNREACHABLE', outageGraceHours: 0, outage: null });
    expect(node.status().message).toMatch(/its lease ran out without a new verified renewal/);
    expect(codes(changes)).toEqual([['Unreachable', false]]);
  });

  it('ends the seat at once when the LM forgot the lease and the checkout is not answered', async () => {
    const { lm, proxy, node } = await setup(0);
    lm.world.clock.advance(6000); // the LM forgets the lease
    proxy.answer = (path) =>
      path === '/v1/seats/checkout'
        ? { status: 429, body: { error: { code: 'RATE_LIMITED', message: 'Slow down.', requestId: 'gw' } } }
        : null;
    await until(() => !node.status().licensed, 'unlicensed');
    expect(node.status()).toMatchObject({ status: 'Unreachable', code: 'LM_UNREACHABLE' });
  });
});

describe('grace while the LM forgot the lease but does not answer the checkout', () => {
  it('keeps the seat as Degraded (a 429 on the checkout is silence), then takes a new one', async () => {
    const { lm, proxy, node } = await setup(72);
    const changes = recordChanges(node);
    lm.world.clock.advance(6000); // the LM forgets the lease: LEASE_NOT_FOUND, then a checkout
    proxy.answer = (path) =>
      path === '/v1/seats/checkout'
        ? { status: 429, body: { error: { code: 'RATE_LIMITED', message: 'Slow down.', requestId: 'gw' } } }
        : null;
    await until(() => node.status().status === 'Degraded', 'Degraded');
    expect(node.status()).toMatchObject({ licensed: true, code: 'LM_UNREACHABLE' });
    expect(node.status().message).toMatch(/answered the checkout with HTTP 429 RATE_LIMITED/);
    proxy.answer = () => null;
    await until(() => node.status().status === 'Normal', 'a new seat');
    expect(codes(changes)).toEqual([
      ['Degraded', true],
      ['Normal', true],
    ]);
  });
});

describe('a node started while the LM is silent', () => {
  it('is refused LM_UNREACHABLE with a sentence: it never had a seat, so it has no grace', async () => {
    const { lm, proxy, timers } = await setup(72);
    proxy.down = true;
    const error = await connect(options(lm, proxy, timers, 'q9')).then(
      () => null,
      (e: unknown) => e as LicenseError,
    );
    expect(error).toMatchObject({ code: 'LM_UNREACHABLE' });
    expect(error!.message).toMatch(/cannot be reached .*so graphdb node "q9" \(role query\) holds no seat.*then start the node again/);
    expect(error!.state).toMatchObject({ licensed: false, status: 'Unreachable', seat: null, outage: null });
  });
});
