/** What the SDK verifies itself: the LM's identity, its lease tokens, and (with the trust bundle) the license. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateEd25519, generateSigningKey, parseEnvelope, sealEnvelope, serializeTrustBundle } from '@tessera/core';
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
  const connection = await connect({ url: proxy.url, product: 'graphdb', role: 'query', nodeId: 'q1', ...change });
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

describe('with the vendor trust bundle', () => {
  it('verifies the license and takes the seat', async () => {
    const connection = await node({ trust: lm.trust });
    expect(connection.status()).toMatchObject({ licensed: true, code: 'VALID', licenseId: 'lic_lmtest' });
  });

  it('refuses a license signed by a key the product does not trust, without taking a seat', async () => {
    const other = generateSigningKey();
    const trust = serializeTrustBundle([{ kid: other.kid, state: 'active', publicKeyRaw: other.publicKeyRaw }]);
    const error = await refusal({ trust });
    expect(error.code).toBe('UNKNOWN_KEY');
    expect(error.message).toMatch(/does not verify with the trust bundle/);
    expect(error.state).toMatchObject({ licensed: false, status: 'Invalid' });
    expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
  });

  it('refuses a license for another product', async () => {
    const error = await refusal({ trust: lm.trust, product: 'guard' });
    expect(error.code).toBe('PRODUCT_MISMATCH');
    expect(error.message).toMatch(/holds a license for graphdb, not for guard/);
  });

  it('refuses a license bound to another LM than the one answering', async () => {
    const other = await startLm({ license: null });
    cleanups.push(() => other.cleanup());
    const otherIdentity = (await fetch(`${other.url}/v1/license`).then((r) => r.json())) as Record<string, unknown>;
    proxy.rewrite = (path, body) =>
      path === '/v1/license'
        ? { ...body, lmid: otherIdentity.lmid, lmPublicKey: otherIdentity.lmPublicKey, hostDigest: otherIdentity.hostDigest }
        : body;
    const error = await refusal({ trust: lm.trust });
    expect(error.code).toBe('LMID_MISMATCH');
    expect(error.message).toContain(String(otherIdentity.lmid));
  });
});

describe('lease tokens and the LM identity', () => {
  it('refuses a lease token not signed by the LM, and gives the seat back', async () => {
    const { privateKey } = generateEd25519();
    proxy.rewrite = (path, body) => {
      if (path !== '/v1/seats/checkout' || !body.token) return body;
      const real = parseEnvelope(body.token, 'lease');
      if (!real.ok) throw new Error(real.detail);
      const { v: _v, kid, typ: _typ, ...fields } = real.value.payload;
      return { ...body, token: sealEnvelope('lease', { kid: String(kid), privateKey }, fields) };
    };
    const error = await refusal();
    expect(error.code).toBe('LEASE_TOKEN_INVALID');
    expect(error.message).toMatch(/signature does not match/);
    await until(async () => (await usedSeats(lm)).query === 0, 'the untrusted seat is released');
  });

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
