/** The LM's identity and its checkout tokens, as connect() checks them against the real License Manager. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateEd25519, parseEnvelope, sealEnvelope } from '@tessera/core';
import type { KeyObject } from '@tessera/core';
import { connect, LicenseError } from '@tessera/sdk';
import type { Connection, ConnectOptions } from '@tessera/sdk';
import { startProxy } from './support/proxy.js';
import type { Proxy } from './support/proxy.js';
import { startLm, until, usedSeats } from './support/lm.js';
import type { TestLm } from './support/lm.js';

let lm: TestLm;
let proxy: Proxy;
const cleanups: Array<() => Promise<void>> = [];

beforeEach(async () => {
  lm = await startLm();
  proxy = await startProxy(lm.url);
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await proxy.close();
  await lm.cleanup();
});

async function node(change: Partial<ConnectOptions> = {}): Promise<Connection> {
  const connection = await connect({ ...lm.sdk, url: proxy.url, product: 'graphdb', role: 'query', nodeId: 'q1', ...change });
  cleanups.push(() => connection.close());
  return connection;
}

async function refusal(change: Partial<ConnectOptions> = {}): Promise<LicenseError> {
  const outcome = await node(change).then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(LicenseError);
  return outcome as LicenseError;
}

/** The checkout's token with `change` in its payload, signed again by `privateKey` under the LM's kid. */
function resealCheckout(change: Record<string, unknown>, privateKey: KeyObject): Proxy['rewrite'] {
  return (path, body) => {
    if (path !== '/v1/seats/checkout' || !body.token) return body;
    const real = parseEnvelope(body.token, 'lease');
    if (!real.ok) throw new Error(real.detail);
    const { v: _v, kid, typ: _typ, ...fields } = real.value.payload;
    return { ...body, token: sealEnvelope('lease', { kid: String(kid), privateKey }, { ...fields, ...change }) };
  };
}

describe('the license of the LM answering', () => {
  it('verifies up to the root and takes the seat', async () => {
    const connection = await node();
    expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID', licenseId: 'lic_lmtest', daysLeft: 365 });
  });

  it('refuses a license for another product', async () => {
    const error = await refusal({ product: 'guard' });
    expect(error.code).toBe('PRODUCT_MISMATCH');
    expect(error.message).toMatch(/This license is for graphdb, not for guard/);
  });
});

describe('checkout tokens and the LM identity', () => {
  it('refuses a lease token not signed by the LM, and gives the seat back', async () => {
    proxy.rewrite = resealCheckout({}, generateEd25519().privateKey);
    const error = await refusal();
    expect(error.code).toBe('LEASE_TOKEN_INVALID');
    expect(error.message).toMatch(/signature does not match/);
    await until(async () => (await usedSeats(lm)).query === 0, 'the untrusted seat is released');
  });

  for (const [change, named] of [
    [{ serial: 2 }, 'lic_lmtest serial 2'],
    [{ licenseId: 'lic_other' }, 'lic_other serial 1'],
  ] as const) {
    it(`refuses a token the LM signed under another license or serial (${named}), and gives the seat back`, async () => {
      proxy.rewrite = resealCheckout(change, lm.daemon.services.identity.privateKey);
      const error = await refusal();
      expect(error.code).toBe('LEASE_TOKEN_INVALID');
      expect(error.message).toContain(
        `signed under license ${named}, not under the license verified at the License Manager (lic_lmtest serial 1)`,
      );
      await until(async () => (await usedSeats(lm)).query === 0, 'the seat is released');
    });
  }

  it('refuses a token from another LM than the one whose identity was read', async () => {
    const other = await startLm();
    cleanups.push(() => other.cleanup());
    proxy.route = (path) => (path.startsWith('/v1/seats/') ? other.url : null);
    const error = await refusal();
    expect(error.code).toBe('LEASE_TOKEN_INVALID');
    expect(error.message).toContain(`not by License Manager ${lm.daemon.lmid}`);
  });

  it('refuses an LM whose LMID does not derive from the key it shows', async () => {
    const other = await startLm({ license: null });
    cleanups.push(() => other.cleanup());
    proxy.rewrite = (path, body) => (path === '/v1/license' ? { ...body, lmid: other.daemon.lmid } : body);
    const error = await refusal();
    expect(error.code).toBe('LEASE_TOKEN_INVALID');
    expect(error.message).toMatch(/does not derive from the key it shows/);
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
  });

  it('treats an address that is not a License Manager as unreachable', async () => {
    proxy.rewrite = () => ({ hello: 'world' });
    const error = await refusal();
    expect(error.code).toBe('LM_UNREACHABLE');
    expect(error.message).toMatch(/cannot be reached/);
  });
});
