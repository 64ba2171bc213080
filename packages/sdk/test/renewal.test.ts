/**
 * Renewals the SDK can trust: a heartbeat answer moves the seat's deadline only when it is a lease token the LM
 * signed for this lease and connection, under the license verified (id and serial), newer than the last one accepted
 * (the LM answers its last token again for TTL/6, then signs a new one). A proxy that forwards checkouts but makes up heartbeat answers (forged, unsigned
 * or replayed) cannot keep a node licensed after the LM freed its seat, while a real LM keeps it licensed for as
 * long as it runs; a 429 or another answer that is not the LM's word on the seat is ridden out like an outage,
 * never a reason to give the seat up.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateEd25519, parseEnvelope, sealEnvelope } from '@tessera/core';
import { connect } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import { recordChanges, startLm, until, usedSeats } from './support/lm.js';
import type { TestLm } from './support/lm.js';
import { startProxy } from './support/proxy.js';
import type { Proxy } from './support/proxy.js';
import { TestTimers } from './support/timers.js';

const HEARTBEAT = '/v1/seats/heartbeat';
let lm: TestLm;
let proxy: Proxy;
let connection: Connection;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  lm = await startLm({ ttlSeconds: 3 });
  proxy = await startProxy(lm.url);
  connection = await connect({
    ...lm.sdk,
    url: proxy.url,
    product: 'graphdb',
    role: 'query',
    nodeId: 'q1',
    heartbeatMs: 50,
    timeoutMs: 1000,
  });
});
afterEach(async () => {
  await connection.close();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await proxy.close();
  await lm.cleanup();
});

/** The payload fields of a real lease token, without the envelope's own. */
function payloadOf(token: string): Record<string, unknown> {
  const envelope = parseEnvelope(token, 'lease');
  if (!envelope.ok) throw new Error(envelope.detail);
  const { v: _v, kid: _kid, typ: _typ, ...fields } = envelope.value.payload;
  return fields;
}

/** When a lease token says it was signed. */
const issuedAtOf = (token: string) => String(payloadOf(token).issuedAt);

/** A genuine token with `change`, issued now, signed again with the LM's own identity key. */
function resealByLm(token: string, change: Record<string, unknown>): string {
  const now = new Date(lm.world.clock.now());
  const fields = { ...payloadOf(token), issuedAt: now.toISOString(), expiresAt: new Date(now.getTime() + 3000).toISOString(), ...change };
  return sealEnvelope('lease', { kid: lm.daemon.lmid, privateKey: lm.daemon.services.identity.privateKey }, fields);
}

/** A heartbeat answer that claims a renewal far into the future. */
function claim(body: { leaseId: string; instance?: string }, token: unknown) {
  return { status: 200, body: { leaseId: body.leaseId, expiresAt: '2099-01-01T00:00:00.000Z', token, status: 'Normal', code: 'VALID' } };
}

describe('heartbeat answers that are not a new renewal the LM signed', () => {
  /** The genuine tokens at hand when the proxy starts lying: the checkout's and the last renewal's (newer). */
  type Genuine = { checkout: string; renewal: string };
  const liars: Record<string, (real: Genuine) => Proxy['answer']> = {
    'forged (signed by another key under the LM kid, issued now)': (real) => {
      const { privateKey } = generateEd25519();
      const kid = parseEnvelope(real.renewal, 'lease');
      return (path, body) =>
        path === HEARTBEAT && kid.ok
          ? claim(
              body,
              sealEnvelope(
                'lease',
                { kid: kid.value.kid, privateKey },
                { ...payloadOf(real.renewal), issuedAt: new Date().toISOString(), expiresAt: '2099-01-01T00:00:00.000Z' },
              ),
            )
          : null;
    },
    // The LM's own key, so only the license the token names tells it from a renewal (item: tokens name the license).
    'signed by the LM under another serial of the license (issued now)': (real) => (path, body) =>
      path === HEARTBEAT ? claim(body, resealByLm(real.renewal, { serial: 2 })) : null,
    'signed by the LM under another license (issued now)': (real) => (path, body) =>
      path === HEARTBEAT ? claim(body, resealByLm(real.renewal, { licenseId: 'lic_other' })) : null,
    'unsigned (no token)': () => (path, body) => (path === HEARTBEAT ? claim(body, undefined) : null),
    'replayed (the last genuine renewal, which the node accepted)': (real) => (path, body) =>
      path === HEARTBEAT ? claim(body, real.renewal) : null,
    "replayed (an older genuine token: the checkout's)": (real) => (path, body) => (path === HEARTBEAT ? claim(body, real.checkout) : null),
  };

  for (const [kind, liar] of Object.entries(liars)) {
    it(`${kind} do not extend the seat: the node goes unlicensed when its lease runs out`, async () => {
      // A real renewal (a token newer than the checkout's) is accepted first, so a replay has a genuine token to send.
      const checkout = connection.status().seat!.token;
      await until(() => issuedAtOf(connection.status().seat!.token) > issuedAtOf(checkout), 'a new token from the LM');
      const real = { checkout, renewal: connection.status().seat!.token };
      const changes = recordChanges(connection);
      proxy.answer = liar(real);
      const before = proxy.answered[HEARTBEAT] ?? 0;
      lm.world.clock.advance(4000); // the LM's lease runs out: it frees the seat
      expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });

      await until(() => changes.some((c) => !c.state.licensed), 'the node goes unlicensed');
      expect((proxy.answered[HEARTBEAT] ?? 0) - before).toBeGreaterThan(0);
      const lost = changes.find((c) => !c.state.licensed)!.state;
      expect(lost).toMatchObject({ licensed: false, code: 'LM_UNREACHABLE', seat: null });
      expect(lost.message).toMatch(/its lease ran out without a new verified renewal/);
      for (const change of changes) expect(change.state.seat?.expiresAt).not.toBe('2099-01-01T00:00:00.000Z');
    });
  }
});

describe('a real LM behind the proxy', () => {
  it('keeps the node licensed across several TTLs with the new tokens it signs as time passes', async () => {
    const ttlLm = await startLm({ ttlSeconds: 2 });
    cleanups.push(() => ttlLm.cleanup());
    const ttlProxy = await startProxy(ttlLm.url);
    cleanups.push(() => ttlProxy.close());
    const renewals: string[] = [];
    ttlProxy.rewrite = (path, body) => {
      if (path === HEARTBEAT && typeof body.token === 'string') renewals.push(body.token);
      return body;
    };
    const timers = new TestTimers();
    const node = await connect({
      ...ttlLm.sdk,
      url: ttlProxy.url,
      product: 'graphdb',
      role: 'query',
      nodeId: 'q9',
      heartbeatMs: 50,
      timeoutMs: 1000,
      timers,
    });
    cleanups.push(() => node.close());
    const changes = recordChanges(node);
    // Three TTLs (6 s) of the LM's and the SDK's time, moved in steps of a quarter TTL instead of waited for: each
    // step is more than TTL/6, so the LM signs a new token for the step's heartbeat, and the node must take it
    // before the next step, or its lease (2 s by its own monotonic clock) would run out within the run.
    for (let step = 0; step < 12; step++) {
      const before = issuedAtOf(node.status().seat!.token);
      ttlLm.world.clock.advance(500);
      timers.advance(500);
      await until(() => issuedAtOf(node.status().seat!.token) > before, `the renewal of step ${step + 1}`);
    }
    expect(new Set(renewals.map(issuedAtOf)).size).toBeGreaterThanOrEqual(12);
    expect(changes).toEqual([]);
    expect(node.status()).toMatchObject({ licensed: true, code: 'VALID' });
    expect(issuedAtOf(node.status().seat!.token) > issuedAtOf(renewals[0]!)).toBe(true);
    expect(await usedSeats(ttlLm)).toEqual({ query: 1, storage: 0 });
  });
});

describe('answers that are not the LM refusing the seat', () => {
  const answers = [
    [429, 'RATE_LIMITED'],
    [408, 'REQUEST_TIMEOUT'],
    [400, 'BAD_REQUEST'],
    [403, 'FORBIDDEN'],
  ] as const;
  for (const [status, code] of answers) {
    it(`${status} ${code} on heartbeats is ridden out: the seat is neither dropped nor released`, async () => {
      const leaseId = connection.status().seat!.leaseId;
      const changes = recordChanges(connection);
      proxy.answer = (path) => (path === HEARTBEAT ? { status, body: { error: { code, message: 'Slow down.', requestId: 'gw' } } } : null);
      const before = proxy.answered[HEARTBEAT] ?? 0;
      await until(() => (proxy.answered[HEARTBEAT] ?? 0) >= before + 3, 'three refused heartbeats');
      expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID', seat: { leaseId } });
      expect(proxy.seen['/v1/seats/release'] ?? 0).toBe(0);
      expect(await usedSeats(lm)).toEqual({ query: 1, storage: 0 });

      proxy.answer = () => null;
      const renewed = connection.status().seat!.expiresAt;
      lm.world.clock.advance(1000);
      await until(() => connection.status().seat!.expiresAt !== renewed, 'a real renewal again');
      expect(connection.status()).toMatchObject({ licensed: true, seat: { leaseId } });
      expect(changes).toEqual([]);
    });
  }
});

describe('a 429 on a checkout', () => {
  const limited = (path: string) =>
    path === '/v1/seats/checkout'
      ? { status: 429, body: { error: { code: 'RATE_LIMITED', message: 'Slow down.', requestId: 'gw' } } }
      : null;

  it('at start rejects as LM_UNREACHABLE naming the answer, not as a refusal of the seat', async () => {
    proxy.answer = limited;
    const error = await connect({ ...lm.sdk, url: proxy.url, product: 'graphdb', role: 'query', nodeId: 'q2' }).then(
      () => null,
      (e: unknown) => e as { code: string; message: string },
    );
    expect(error).toMatchObject({ code: 'LM_UNREACHABLE' });
    expect(error!.message).toMatch(/answered the checkout with HTTP 429 RATE_LIMITED: Slow down\./);
  });

  it('after the LM forgot the lease is retried until the checkout goes through', async () => {
    const changes = recordChanges(connection);
    proxy.answer = limited;
    lm.world.clock.advance(4000); // the LM forgets the lease: the next heartbeat is LEASE_NOT_FOUND, then a checkout
    const before = proxy.answered['/v1/seats/checkout'] ?? 0;
    await until(() => (proxy.answered['/v1/seats/checkout'] ?? 0) >= before + 2, 'two rate-limited checkouts');
    expect(connection.status()).toMatchObject({ licensed: false, code: 'LM_UNREACHABLE' });
    proxy.answer = () => null;
    await until(() => connection.status().licensed, 'the seat taken again');
    expect(changes.map((c) => [c.state.licensed, c.state.code])).toEqual([
      [false, 'LM_UNREACHABLE'],
      [true, 'VALID'],
    ]);
  });
});

describe('the LM identity a lease was taken under', () => {
  it('another LM at the address: the lease is dropped and a seat is taken there, without heartbeating the old lease to it', async () => {
    const other = await startLm({ ttlSeconds: 3, world: { root: lm.world.root } }); // another LM of the same vendor
    cleanups.push(() => other.cleanup());
    const before = connection.status().seat!.leaseId;
    // The other LM takes the address from the next round on: seat calls go there once a round has read its identity
    // (rounds never overlap, so a round that read the first LM's identity still heartbeats the first LM).
    let readOther = false;
    proxy.route = (path) => {
      if (path === '/v1/license') readOther = true;
      return readOther ? other.url : null;
    };
    await until(async () => (await usedSeats(other)).query === 1, 'a seat at the other LM');
    await until(() => connection.status().seat?.leaseId !== before, 'the new lease in the state');
    expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID' });
    // The old lease was never sent to the other LM (it would have answered LEASE_NOT_FOUND), nor released there.
    expect(JSON.stringify(other.daemon.services.counters.refusals.snapshot())).not.toContain('LEASE_NOT_FOUND');
    expect(await usedSeats(lm)).toEqual({ query: 1, storage: 0 }); // the first LM frees it when its lease runs out
  });
});
