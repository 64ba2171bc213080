/** watch(): the license at an LM without a seat, for a product's controller or UI. */
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKey, serializeTrustBundle } from '@tessera/core';
import { watch } from '@tessera/sdk';
import type { LicenseWatch, WatchOptions } from '@tessera/sdk';
import { DAY, recordChanges, startLm, until, usedSeats } from './support/lm.js';
import type { TestLm } from './support/lm.js';
import { startProxy } from './support/proxy.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lmWith(license: Parameters<typeof startLm>[0] = {}): Promise<TestLm> {
  const lm = await startLm(license);
  cleanups.push(() => lm.cleanup());
  return lm;
}

async function watching(options: WatchOptions): Promise<LicenseWatch> {
  const live = await watch(options);
  cleanups.push(() => live.close());
  return live;
}

describe('watch', () => {
  it('reads the license without taking a seat', async () => {
    const lm = await lmWith();
    const license = await watching({ url: lm.url, product: 'graphdb', trust: lm.trust });
    expect(license.status()).toMatchObject({
      licensed: true,
      status: 'Normal',
      code: 'VALID',
      serial: 1,
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
    const license = await watching({ url: lm.url, product: 'graphdb', pollMs: 20 });
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
    const license = await watching({ url: lm.url, product: 'graphdb', pollMs: 20 });
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
    const license = await watching({ url: lm.url, product: 'guard' });
    expect(license.status()).toMatchObject({ licensed: false, status: 'Invalid', code: 'PRODUCT_MISMATCH' });
    expect(license.isEnabled('scan')).toBe(false);
  });

  it('resolves with a trust bundle that does not verify the license, not licensed', async () => {
    const lm = await lmWith();
    const other = generateSigningKey();
    const trust = serializeTrustBundle([{ kid: other.kid, state: 'active', publicKeyRaw: other.publicKeyRaw }]);
    const license = await watching({ url: lm.url, product: 'graphdb', trust });
    expect(license.status()).toMatchObject({ licensed: false, status: 'Invalid', code: 'UNKNOWN_KEY' });
  });

  it('resolves while the LM cannot be reached, and follows it once it answers', async () => {
    const lm = await lmWith();
    const proxy = await startProxy(lm.url);
    cleanups.push(() => proxy.close());
    proxy.down = true;
    const license = await watching({ url: proxy.url, product: 'graphdb', pollMs: 20, timeoutMs: 500 });
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
    const license = await watching({ url: proxy.url, product: 'graphdb', pollMs: 20, timeoutMs: 2000 });
    const changes = recordChanges(license);
    proxy.down = true;
    const polls = proxy.seen['/v1/license']!;
    await until(() => proxy.seen['/v1/license']! > polls, 'a poll without an answer');
    expect(license.status()).toMatchObject({ licensed: true, code: 'VALID' });
    await until(() => license.status().status === 'Unreachable', 'Unreachable');
    expect(license.status()).toMatchObject({ licensed: false, code: 'LM_UNREACHABLE', serial: 1 });
    expect(changes.map((c) => c.state.code)).toEqual(['LM_UNREACHABLE']);
  });

  it('emits change for a new serial, and no more after close()', async () => {
    const lm = await lmWith();
    const license = await watching({ url: lm.url, product: 'graphdb', pollMs: 20 });
    const changes = recordChanges(license);
    await lm.load({ serial: 2, features: ['scan', 'federation'] });
    await until(() => changes.length === 1, 'a change');
    expect(license.isEnabled('federation')).toBe(true);
    await license.close();
    await lm.load({ serial: 3, features: [] });
    await new Promise((resolve) => setTimeout(resolve, 100)); // several polls' worth: none may happen
    expect(changes).toHaveLength(1);
    expect(license.status().serial).toBe(2);
  });
});
