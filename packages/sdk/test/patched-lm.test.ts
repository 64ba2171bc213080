/**
 * A License Manager patched (or a proxy in front of it) to stop answering GET /v1/license while it signs every
 * heartbeat itself with the LM's identity key, which sits on the customer's disk: a running node must not stay
 * licensed past the license's expiry. The SDK evaluates the last verified license on its own clock every round,
 * whatever the heartbeats say (review finding: before, a round without a license read kept the last verdict).
 */
import { afterEach, expect, it } from 'vitest';
import { parseEnvelope, sealEnvelope } from '@tessera/core';
import { connect } from '@tessera/sdk';
import { DAY, startLm, until } from './support/lm.js';
import { startProxy } from './support/proxy.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('ends the seat at the license’s expiry by the SDK’s clock, though every heartbeat gets a fresh signed token', async () => {
  const lm = await startLm({ ttlSeconds: 3 });
  cleanups.push(() => lm.cleanup());
  const proxy = await startProxy(lm.url);
  cleanups.push(() => proxy.close());
  const connection = await connect({
    ...lm.sdk,
    url: proxy.url,
    product: 'graphdb',
    role: 'query',
    nodeId: 'q1',
    heartbeatMs: 50,
    timeoutMs: 1000,
  });
  cleanups.push(() => connection.close());
  const envelope = parseEnvelope(connection.status().seat!.token, 'lease');
  if (!envelope.ok) throw new Error(envelope.detail);
  const { v: _v, kid: _kid, typ: _typ, ...fields } = envelope.value.payload as Record<string, unknown>;
  let heartbeats = 0;
  proxy.answer = (path) => {
    if (path === '/v1/license') return { status: 503, body: { error: { code: 'INTERNAL', message: 'down' } } };
    if (path !== '/v1/seats/heartbeat') return null;
    heartbeats++;
    const now = lm.world.clock.now();
    const expiresAt = new Date(now + 3000).toISOString();
    const token = sealEnvelope(
      'lease',
      { kid: lm.daemon.lmid, privateKey: lm.daemon.services.identity.privateKey },
      { ...fields, issuedAt: new Date(now).toISOString(), expiresAt },
    );
    return { status: 200, body: { leaseId: fields.leaseId, expiresAt, token, status: 'Normal', code: 'VALID' } };
  };
  // The made-up heartbeats are taken as they are while the license is valid: the node stays licensed on them.
  await until(() => heartbeats >= 5, 'five heartbeats answered by the proxy');
  expect(connection.status().licensed).toBe(true);
  lm.world.clock.advance(400 * DAY); // past the expiry and its grace days, by the SDK's clock too
  await until(() => !connection.status().licensed, 'the node to lose its license');
  expect(connection.status()).toMatchObject({ licensed: false, status: 'Expired', code: 'EXPIRED' });
});

it('shows the seat’s expiry the lease token signed, not a checkout answer’s field rewritten on the way', async () => {
  const lm = await startLm({ ttlSeconds: 30 });
  cleanups.push(() => lm.cleanup());
  const proxy = await startProxy(lm.url);
  cleanups.push(() => proxy.close());
  proxy.rewrite = (path, body) => (path === '/v1/seats/checkout' ? { ...body, expiresAt: '2099-01-01T00:00:00.000Z' } : body);
  const connection = await connect({ ...lm.sdk, url: proxy.url, product: 'graphdb', role: 'query', nodeId: 'q1' });
  cleanups.push(() => connection.close());
  const seat = connection.status().seat!;
  const signed = parseEnvelope(seat.token, 'lease');
  if (!signed.ok) throw new Error(signed.detail);
  expect(seat.expiresAt).toBe(new Date(Date.parse(signed.value.payload.expiresAt as string)).toISOString());
  expect(seat.expiresAt).not.toBe('2099-01-01T00:00:00.000Z');
});
