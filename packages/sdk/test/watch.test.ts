/** watch(): the license at an LM without a seat, for a product's controller or UI. */
import { afterEach, describe, expect, it } from 'vitest';
import { watch } from '@tessera/sdk';
import type { LicenseWatch, WatchOptions } from '@tessera/sdk';
import { DAY, recordChanges, startLm, until, usedSeats } from './support/lm.js';
import type { TestLm } from './support/lm.js';
import { startProxy } from './support/proxy.js';
import { TestTimers } from './support/timers.js';
import { makeRoot } from '../../manager/test/support/world.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lmWith(license: Parameters<typeof startLm>[0] = {}): Promise<TestLm> {
  const lm = await startLm(license);
  cleanups.push(() => lm.cleanup());
  return lm;
}

async function watching(lm: TestLm, options: Partial<WatchOptions> = {}): Promise<LicenseWatch> {
  const live = await watch({ ...lm.sdk, product: 'graphdb', ...options });
  cleanups.push(() => live.close());
  return live;
}

describe('watch', () => {
  it('reads the license without taking a seat', async () => {
    const lm = await lmWith();
    const license = await watching(lm);
    expect(license.status()).toMatchObject({
      licensed: true,
      status: 'Normal',
      code: 'VALID',
      serial: 1,
      daysLeft: 365,
      features: ['scan'],
      limits: { remote_clusters: 2 },
      nodes: { query: 2, storage: 3 },
      seat: null,
    });
    expect(license.status().message).toMatch(/^graphdb is licensed by the License Manager at http:\/\/127\.0\.0\.1:\d+: Valid until/);
    expect(license.isEnabled('scan')).toBe(true);
    expect(license.limit('remote_clusters')).toBe(2);
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
  });

  it('says NotExist when the LM holds no license, and follows a license being loaded', async () => {
    const lm = await lmWith({ license: null });
    const license = await watching(lm, { pollMs: 20 });
    expect(license.status()).toMatchObject({ licensed: false, status: 'NotExist', code: 'NO_LICENSE', features: [], serial: null });
    expect(license.status().message).toMatch(/Load a license key into the License Manager/);
    const changes = recordChanges(license);
    await lm.load();
    await until(() => license.status().licensed, 'the loaded license');
    expect(changes).toHaveLength(1);
    expect(changes[0]!.state).toMatchObject({ status: 'Normal', features: ['scan'] });
    expect(license.isEnabled('scan')).toBe(true);
  });

  it('follows the license into Grace (still usable) and Expired (not)', async () => {
    const lm = await lmWith();
    const license = await watching(lm, { pollMs: 20 });
    lm.world.clock.advance(370 * DAY);
    await until(() => license.status().status === 'Grace', 'Grace');
    expect(license.status()).toMatchObject({ licensed: true, code: 'IN_GRACE' });
    lm.world.clock.advance(30 * DAY);
    await until(() => license.status().status === 'Expired', 'Expired');
    expect(license.status()).toMatchObject({ licensed: false, code: 'EXPIRED' });
    expect(license.isEnabled('scan')).toBe(false);
    expect(license.status().message).toMatch(/Renew the license/);
  });

  it("never counts another product's license", async () => {
    const lm = await lmWith();
    const license = await watching(lm, { product: 'guard' });
    expect(license.status()).toMatchObject({ licensed: false, status: 'Invalid', code: 'PRODUCT_MISMATCH' });
    expect(license.isEnabled('scan')).toBe(false);
  });

  it("resolves, not licensed, when the product was built with another vendor's root", async () => {
    const lm = await lmWith();
    const license = await watching(lm, { root: makeRoot().text });
    expect(license.status()).toMatchObject({ licensed: false, status: 'Invalid', code: 'UNTRUSTED_ROOT' });
    expect(license.isEnabled('scan')).toBe(false);
  });

  it('accepts a license vouched for by either root of a product built during a root rotation', async () => {
    const lm = await lmWith();
    const license = await watching(lm, { root: [makeRoot().text, lm.root] });
    expect(license.status()).toMatchObject({ licensed: true, code: 'VALID' });
  });

  it('resolves while the LM cannot be reached, and follows it once it answers', async () => {
    const lm = await lmWith();
    const proxy = await startProxy(lm.url);
    cleanups.push(() => proxy.close());
    proxy.down = true;
    const license = await watching(lm, { url: proxy.url, pollMs: 20, timeoutMs: 500 });
    expect(license.status()).toMatchObject({ licensed: false, status: 'Unreachable', code: 'LM_UNREACHABLE' });
    expect(license.status().message).toMatch(/cannot be reached .*Check that tessera-lm is running/);
    proxy.down = false;
    await until(() => license.status().licensed, 'the LM answers');
    expect(license.status().code).toBe('VALID');
  });

  it('keeps the last answer through a short outage, then says Unreachable', async () => {
    const lm = await lmWith();
    const proxy = await startProxy(lm.url);
    cleanups.push(() => proxy.close());
    const timers = new TestTimers();
    const license = await watching(lm, { url: proxy.url, pollMs: 20, timeoutMs: 2000, timers });
    const changes = recordChanges(license);
    proxy.down = true;
    const polls = proxy.seen['/v1/license']!;
    await until(() => proxy.seen['/v1/license']! > polls, 'a poll without an answer');
    expect(license.status()).toMatchObject({ licensed: true, code: 'VALID' });
    timers.advance(2 * 20 + 2000); // two polls and a timeout of the SDK's schedule: the last answer stands no longer
    await until(() => license.status().status === 'Unreachable', 'Unreachable');
    expect(license.status()).toMatchObject({ licensed: false, code: 'LM_UNREACHABLE', serial: 1 });
    expect(changes.map((c) => c.state.code)).toEqual(['LM_UNREACHABLE']);
  });

  it('emits change for a new serial, and no more after close(): no timer is left to run a poll', async () => {
    const lm = await lmWith();
    const timers = new TestTimers();
    const license = await watching(lm, { pollMs: 20, timers });
    const changes = recordChanges(license);
    await lm.load({ serial: 2, features: ['scan', 'federation'] });
    await until(() => changes.length === 1, 'a change');
    expect(license.isEnabled('federation')).toBe(true);
    await license.close();
    expect(timers.pending()).toBe(0);
    await lm.load({ serial: 3, features: [] });
    timers.advance(3_600_000); // an hour of the SDK's schedule: nothing is armed, so no poll runs
    expect(changes).toHaveLength(1);
    expect(license.status().serial).toBe(2);
  });
});
