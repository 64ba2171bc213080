/** The seat API on a customer's network: the seat secret (seats.secret) and the checkout budget per address. */
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { Daemon } from '../src/daemon.js';
import { admin, call, licenseFor, makeWorld, start } from './support/world.js';
import type { World } from './support/world.js';

let world: World;
let lm: Daemon;
afterEach(async () => {
  await lm.close();
  world.cleanup();
});

const SECRET = 'seat-secret-0123456789abcdef';
const seat = { product: 'graphdb', role: 'query', nodeId: 'q1', instance: 'proc-1' };

describe('seats.secret', () => {
  it('is required on GET /v1/license and every seat route, compared whole, and never written to the log', async () => {
    world = makeWorld({ seats: { secret: SECRET, checkoutsPerMinute: 600 } });
    const lines: string[] = [];
    lm = await start(world, { logger: pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) }) });
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) });
    const withSecret = (value: string) => ({ 'x-tessera-seat-secret': value });

    for (const presented of [null, '', 'wrong', SECRET.slice(0, -1), `${SECRET}x`]) {
      const headers = presented === null ? {} : withSecret(presented);
      for (const [method, path, body] of [
        ['GET', '/v1/license', undefined],
        ['POST', '/v1/seats/checkout', seat],
        ['POST', '/v1/seats/heartbeat', { leaseId: 'lse_x', instance: 'proc-1' }],
        ['POST', '/v1/seats/release', { leaseId: 'lse_x', instance: 'proc-1' }],
      ] as const) {
        const answer = await call(lm, method, path, body, undefined, headers);
        expect([answer.status, answer.body.error?.code], `${path} with ${presented}`).toEqual([401, 'UNAUTHORIZED']);
        expect(answer.body.error.message).toMatch(/x-tessera-seat-secret/);
      }
    }
    const checkout = await call(lm, 'POST', '/v1/seats/checkout', seat, undefined, withSecret(SECRET));
    expect(checkout.status).toBe(200);
    const lease = { leaseId: checkout.body.leaseId, instance: 'proc-1' };
    expect((await call(lm, 'POST', '/v1/seats/heartbeat', lease, undefined, withSecret(SECRET))).status).toBe(200);
    expect((await call(lm, 'GET', '/v1/license', undefined, undefined, withSecret(SECRET))).body.license).toMatch(/^tessera-license:/);
    expect((await call(lm, 'POST', '/v1/seats/release', lease, undefined, withSecret(SECRET))).body).toEqual({ released: true });
    // What anyone on the LAN could read before stays readable: it holds no lease id and no signed answer.
    for (const path of ['/health', '/v1/info', '/v1/usage', '/']) expect((await call(lm, 'GET', path)).status, path).toBe(200);
    expect(lines.join('\n')).not.toContain(SECRET.slice(0, 16));
  });

  it('is not asked for when not set', async () => {
    world = makeWorld();
    lm = await start(world);
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid) });
    expect((await call(lm, 'POST', '/v1/seats/checkout', seat)).status).toBe(200);
  });
});

describe('the checkout budget per client address', () => {
  it('refuses checkouts past seats.checkoutsPerMinute with 429 and Retry-After, refills with time, and never counts heartbeats', async () => {
    world = makeWorld({ seats: { secret: null, checkoutsPerMinute: 3 } });
    lm = await start(world);
    await admin(lm, '/v1/admin/load', { key: licenseFor(world, lm.lmid, { nodes: { query: 10 } }) });
    const checkout = (nodeId: string) => call(lm, 'POST', '/v1/seats/checkout', { ...seat, nodeId, instance: `proc-${nodeId}` });
    const first = await checkout('q1');
    expect((await checkout('q2')).status).toBe(200);
    // A bad request spends the budget too: the budget is spent before any work, so a flood of junk costs nothing more.
    expect((await call(lm, 'POST', '/v1/seats/checkout', { product: 'graphdb' })).status).toBe(400);
    const refused = await checkout('q3');
    expect([refused.status, refused.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(refused.body.error.message).toMatch(/more than 3 a minute, seats.checkoutsPerMinute/);
    expect(refused.headers.get('retry-after')).toBe('20');
    // A healthy node's heartbeats go on, however many.
    for (let i = 0; i < 20; i++) {
      expect((await call(lm, 'POST', '/v1/seats/heartbeat', { leaseId: first.body.leaseId, instance: 'proc-q1' })).status).toBe(200);
    }
    world.clock.advance(19_000);
    expect((await checkout('q3')).status).toBe(429);
    world.clock.advance(1_000);
    expect((await checkout('q3')).status).toBe(200);
  });
});
