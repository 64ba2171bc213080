/**
 * Every answer the SDK reads is capped (256 KiB): an endless or huge answer, from a hostile LM or anything posing
 * as one, is an unusable answer (like an outage), and the SDK stops reading it, so the product's memory stays
 * bounded. The server here would write forever; the SDK hangs up.
 */
import type { ServerResponse } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, watch } from '@tessera/sdk';
import { recordChanges, startLm, until, usedSeats } from './support/lm.js';
import type { TestLm } from './support/lm.js';
import { startProxy } from './support/proxy.js';
import type { Proxy } from './support/proxy.js';
import { TestTimers } from './support/timers.js';

const CHUNK = Buffer.alloc(64 * 1024, 'A');
let lm: TestLm;
let proxy: Proxy;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  lm = await startLm({ ttlSeconds: 5 });
  proxy = await startProxy(lm.url);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await proxy.close();
  await lm.cleanup();
});

/** An answer that never ends (as fast as the SDK reads it); `sent.bytes` counts what went out until it hung up. */
function endless(sent: { bytes: number; hungUp: boolean }): (response: ServerResponse) => void {
  return (response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.on('close', () => (sent.hungUp = true));
    const pump = (): void => {
      while (!response.destroyed) {
        sent.bytes += CHUNK.length;
        if (!response.write(CHUNK)) {
          response.once('drain', pump);
          return;
        }
      }
    };
    response.write('{"lmid":"');
    pump();
  };
}

describe('an oversized answer to GET /v1/license', () => {
  it('that never ends: watch() reads at most 256 KiB of it, hangs up, and counts it as no answer', async () => {
    const sent = { bytes: 0, hungUp: false };
    proxy.raw = (path) => (path === '/v1/license' ? endless(sent) : null);
    const live = await watch({ ...lm.sdk, url: proxy.url, product: 'graphdb', timeoutMs: 20_000 });
    cleanups.push(() => live.close());
    expect(live.status()).toMatchObject({ licensed: false, status: 'Unreachable', code: 'LM_UNREACHABLE' });
    expect(live.status().message).toMatch(/its answer to GET \/v1\/license was larger than 256 KiB, which no License Manager sends/);
    await until(() => sent.hungUp, 'the SDK hangs up');
    // What went out before the SDK hung up: its 256 KiB and what the sockets' buffers held, not an endless stream.
    expect(sent.bytes).toBeLessThan(16 * 1024 * 1024);
  });

  it('that declares a huge length: refused at once, without waiting for the body', async () => {
    proxy.raw = (path) =>
      path === '/v1/license'
        ? (response) => {
            // A gigabyte announced, a byte sent: an SDK that waited for the body would time out instead.
            response.writeHead(200, { 'content-type': 'application/json', 'content-length': String(1024 ** 3) });
            response.write('{');
          }
        : null;
    const live = await watch({ ...lm.sdk, url: proxy.url, product: 'graphdb', timeoutMs: 20_000 });
    cleanups.push(() => live.close());
    expect(live.status()).toMatchObject({ code: 'LM_UNREACHABLE' });
    expect(live.status().message).toMatch(/larger than 256 KiB/);
  });

  it('while a node holds its seat: ridden out like an outage, the seat kept by verified heartbeats', async () => {
    const connection = await connect({ ...lm.sdk, url: proxy.url, product: 'graphdb', role: 'query', nodeId: 'q1', heartbeatMs: 50 });
    cleanups.push(() => connection.close());
    const changes = recordChanges(connection);
    const sent = { bytes: 0, hungUp: false };
    proxy.raw = (path) => (path === '/v1/license' ? endless(sent) : null);
    const reads = proxy.seen['/v1/license'] ?? 0;
    const before = connection.status().seat!.expiresAt;
    await until(() => (proxy.seen['/v1/license'] ?? 0) >= reads + 3, 'three oversized answers');
    lm.world.clock.advance(2000); // the LM signs a new token as its time passes
    await until(() => connection.status().seat!.expiresAt !== before, 'a renewal while the license answers are oversized');
    expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID' });
    expect(changes).toEqual([]);
    expect(await usedSeats(lm)).toEqual({ query: 1, storage: 0 });
  });

  it('to a heartbeat: no answer, so no renewal, and the seat runs out at its deadline', async () => {
    const timers = new TestTimers();
    const options = { ...lm.sdk, url: proxy.url, product: 'graphdb', role: 'query', nodeId: 'q1', heartbeatMs: 50, timers };
    const connection = await connect(options);
    cleanups.push(() => connection.close());
    const sent = { bytes: 0, hungUp: false };
    const before = connection.status().seat!.expiresAt;
    lm.world.clock.advance(2000); // a real heartbeat answer would now bring a new token
    proxy.raw = (path) => (path === '/v1/seats/heartbeat' ? endless(sent) : null);
    const heartbeats = proxy.seen['/v1/seats/heartbeat'] ?? 0;
    await until(() => (proxy.seen['/v1/seats/heartbeat'] ?? 0) >= heartbeats + 3 && sent.hungUp, 'three oversized heartbeat answers');
    expect(connection.status()).toMatchObject({ licensed: true, seat: { expiresAt: before } });
    timers.advance(5000); // a lease TTL of the SDK's schedule
    await until(() => !connection.status().licensed, 'the lease runs out');
    expect(connection.status()).toMatchObject({ code: 'LM_UNREACHABLE' });
    expect(connection.status().message).toMatch(/its lease ran out without a new verified renewal/);
  });
});
