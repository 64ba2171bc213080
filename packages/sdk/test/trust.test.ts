/**
 * What the SDK verifies itself (DESIGN decision 8), against the real License Manager: the license is accepted only
 * when the LM signed this request's nonce, its trust bundle is signed by the root the product was built with, and
 * the license is the one the signed answer names; then the SDK evaluates it on its own clock. A customer's own key,
 * a replayed answer, an LM whose status lies, or an answer altered on its way grant nothing, to watch() and
 * connect() alike.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKey, serializeTrustBundle } from '@tessera/core';
import { connect, LicenseError, watch } from '@tessera/sdk';
import type { LicenseState } from '@tessera/sdk';
import { entriesOf, licenseFor, makeRoot, signedBundle, trustFile } from '../../manager/test/support/world.js';
import { DAY, startLm, usedSeats } from './support/lm.js';
import type { TestLm, TestLmOptions } from './support/lm.js';
import { startProxy } from './support/proxy.js';
import type { Proxy } from './support/proxy.js';

const LICENSE = '/v1/license';
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lmWith(options: TestLmOptions = {}): Promise<TestLm> {
  const lm = await startLm(options);
  cleanups.push(() => lm.cleanup());
  return lm;
}

async function proxyTo(lm: TestLm): Promise<Proxy> {
  const proxy = await startProxy(lm.url);
  cleanups.push(() => proxy.close());
  return proxy;
}

/** What watch() says, and what connect() rejects with, for the LM (or proxy) at `url`; no seat may be taken. */
async function verdicts(lm: TestLm, url: string): Promise<{ watched: LicenseState; refused: LicenseError }> {
  const live = await watch({ ...lm.sdk, url, product: 'graphdb' });
  const watched = live.status();
  await live.close();
  const refused = await connect({ ...lm.sdk, url, product: 'graphdb', role: 'query', nodeId: 'q1' }).then(
    async (connection) => {
      await connection.close();
      throw new Error('connect() took a seat');
    },
    (error: unknown) => error as LicenseError,
  );
  expect(refused).toBeInstanceOf(LicenseError);
  expect(await usedSeats(lm)).toEqual({ query: 0, storage: 0 });
  return { watched, refused };
}

describe('a license signed by a key the customer made', () => {
  it('in a plain (v1) trust file the LM loads: refused UNTRUSTED_ROOT, since the LM serves no root-signed bundle', async () => {
    const lm = await lmWith({ license: null, world: { trust: 'legacy' } });
    const own = generateSigningKey();
    writeFileSync(lm.world.trustPath, serializeTrustBundle(entriesOf(lm.world.vendor, own)));
    await lm.restart();
    await lm.load({}, own); // the LM accepts it: its trust file vouches for the customer's key
    const { watched, refused } = await verdicts(lm, lm.url);
    expect(watched).toMatchObject({ licensed: false, status: 'Invalid', code: 'UNTRUSTED_ROOT', seat: null });
    expect(watched.message).toMatch(/holds no trust bundle signed by the vendor's root/);
    expect(refused.code).toBe('UNTRUSTED_ROOT');
    expect(refused.message).toMatch(/graphdb node "q1" \(role query\) has no seat .*holds no trust bundle signed by the vendor's root/);
  });

  it('in a v2 trust file signed by a root of their own: refused UNTRUSTED_ROOT, naming both roots', async () => {
    const lm = await lmWith({ license: null });
    const ownRoot = makeRoot();
    const own = generateSigningKey();
    writeFileSync(lm.world.trustPath, trustFile(ownRoot, signedBundle(ownRoot, 7, entriesOf(own))));
    await lm.restart();
    await lm.load({}, own);
    const { watched, refused } = await verdicts(lm, lm.url);
    expect(watched).toMatchObject({ licensed: false, status: 'Invalid', code: 'UNTRUSTED_ROOT' });
    expect(watched.message).toContain(`signed by root ${ownRoot.signer.kid}, which is not a root this product was built with`);
    expect(refused.code).toBe('UNTRUSTED_ROOT');
  });
});

describe('a replay proxy that records GET /v1/license answers', () => {
  it('serving an old answer after the license expired: refused STALE_ANSWER', async () => {
    const lm = await lmWith();
    const proxy = await proxyTo(lm);
    let recorded: unknown = null;
    proxy.rewrite = (path, body) => {
      if (path === LICENSE && recorded === null) recorded = body;
      return body;
    };
    const live = await watch({ ...lm.sdk, url: proxy.url, product: 'graphdb' });
    expect(live.status()).toMatchObject({ licensed: true, code: 'VALID' });
    await live.close();

    lm.world.clock.advance(400 * DAY); // past expiry and the 14 grace days
    proxy.answer = (path) => (path === LICENSE ? { status: 200, body: recorded } : null);
    const { watched, refused } = await verdicts(lm, proxy.url);
    expect(watched).toMatchObject({ licensed: false, status: 'Invalid', code: 'STALE_ANSWER' });
    expect(watched.message).toMatch(/not for this request \(another nonce\).*nothing between them alters or replays its answers/);
    expect(refused.code).toBe('STALE_ANSWER');
    expect(proxy.seen['/v1/seats/checkout'] ?? 0).toBe(0);
  });
});

describe('an LM whose status field lies', () => {
  it('says Normal/VALID for an expired license: the SDK reports Expired/EXPIRED from its own evaluation', async () => {
    const lm = await lmWith();
    lm.world.clock.advance(400 * DAY);
    const proxy = await proxyTo(lm);
    proxy.rewrite = (path, body) => (path === LICENSE ? { ...body, status: 'Normal', code: 'VALID', detail: 'All good.' } : body);
    const { watched, refused } = await verdicts(lm, proxy.url);
    expect(watched).toMatchObject({ licensed: false, status: 'Expired', code: 'EXPIRED', licenseId: 'lic_lmtest', daysLeft: -35 });
    expect(watched.message).toMatch(/^graphdb is not licensed by the License Manager at .*: Expired on .*Renew the license/);
    expect(refused.code).toBe('EXPIRED');
    expect(refused.state).toMatchObject({ status: 'Expired', daysLeft: -35 });
    expect(proxy.seen['/v1/seats/checkout'] ?? 0).toBe(0); // the SDK's own verdict: no seat is even asked for
  });
});

describe('answers altered on their way', () => {
  it('without the signed answer (an LM too old to sign): refused UNSUPPORTED_VERSION, saying to upgrade tessera-lm', async () => {
    const lm = await lmWith();
    const proxy = await proxyTo(lm);
    proxy.rewrite = (path, body) => (path === LICENSE ? { ...body, answer: undefined } : body);
    const { watched, refused } = await verdicts(lm, proxy.url);
    expect(watched).toMatchObject({ licensed: false, code: 'UNSUPPORTED_VERSION' });
    expect(refused.message).toMatch(/does not sign its answers.*Upgrade tessera-lm/);
  });

  it('with an answer signed by another LM: refused SIGNATURE_INVALID', async () => {
    const lm = await lmWith();
    const other = await lmWith();
    const proxy = await proxyTo(lm);
    proxy.route = (path) => (path === LICENSE ? other.url : null);
    // The other LM's answer, shown under this LM's identity: only the signature on the answer can tell.
    const real = await fetch(`${lm.url}${LICENSE}`).then((r) => r.json() as Promise<Record<string, unknown>>);
    proxy.rewrite = (path, body) =>
      path === LICENSE ? { ...body, lmid: real.lmid, lmPublicKey: real.lmPublicKey, hostDigest: real.hostDigest } : body;
    const { watched } = await verdicts(lm, proxy.url);
    expect(watched).toMatchObject({ licensed: false, code: 'SIGNATURE_INVALID' });
    expect(watched.message).toContain(`signed by ${other.daemon.lmid}, not by ${lm.daemon.lmid}`);
  });

  it('with an older serial of the license than the one the LM signed for: refused SIGNATURE_INVALID', async () => {
    const lm = await lmWith();
    const old = licenseFor(lm.world, lm.daemon.lmid, { expiresAt: new Date(lm.world.clock.now() + 3000 * DAY).toISOString() });
    await lm.load({ serial: 2 });
    const proxy = await proxyTo(lm);
    proxy.rewrite = (path, body) => (path === LICENSE ? { ...body, license: old } : body);
    const { watched, refused } = await verdicts(lm, proxy.url);
    expect(watched).toMatchObject({ licensed: false, code: 'SIGNATURE_INVALID' });
    expect(watched.message).toMatch(/signed answer names license lic_lmtest serial 2, but the answer carries lic_lmtest serial 1/);
    expect(refused.code).toBe('SIGNATURE_INVALID');
  });

  it("with another LM's license of the same id and serial: refused LMID_MISMATCH by the SDK's evaluation", async () => {
    const lm = await lmWith();
    const other = await lmWith({ license: null });
    const theirs = licenseFor(lm.world, other.daemon.lmid, { nodes: { query: 50, storage: 50 } });
    const proxy = await proxyTo(lm);
    proxy.rewrite = (path, body) => (path === LICENSE ? { ...body, license: theirs } : body);
    const { watched, refused } = await verdicts(lm, proxy.url);
    expect(watched).toMatchObject({ licensed: false, status: 'Invalid', code: 'LMID_MISMATCH' });
    expect(refused.message).toContain(`bound to License Manager ${other.daemon.lmid}, but this one is ${lm.daemon.lmid}`);
  });

  it('with an older trust bundle than the one the LM signed for: refused SIGNATURE_INVALID', async () => {
    const lm = await lmWith({ license: null });
    const { root, vendor } = lm.world;
    writeFileSync(lm.world.trustPath, trustFile(root, signedBundle(root, 2, entriesOf(vendor))));
    await lm.restart();
    await lm.load();
    const proxy = await proxyTo(lm);
    proxy.rewrite = (path, body) => (path === LICENSE ? { ...body, trust: signedBundle(root, 1, entriesOf(vendor)) } : body);
    const { watched } = await verdicts(lm, proxy.url);
    expect(watched).toMatchObject({ licensed: false, code: 'SIGNATURE_INVALID' });
    expect(watched.message).toMatch(/trust bundle served \(serial 1\) is not the one the License Manager's signed answer names \(2\)/);
  });
});

describe('what this process accepted', () => {
  it('a clock set back is CLOCK_TAMPERED by the time this process read before, even from an LM that never saw it', async () => {
    const first = await lmWith();
    const live = await watch({ ...first.sdk, product: 'graphdb' });
    expect(live.status()).toMatchObject({ licensed: true });
    await live.close();

    const clock = first.world.clock;
    clock.advance(-DAY); // the host's clock set back a day; a License Manager started afresh knows no later time
    const fresh = await lmWith({ clock, world: { root: first.world.root } });
    const { watched } = await verdicts(fresh, fresh.url);
    expect(watched).toMatchObject({ licensed: false, status: 'Invalid', code: 'CLOCK_TAMPERED' });
    expect(watched.message).toMatch(/is behind a time already seen .*it was set back/);
  });

  it('an LM holding an older trust bundle than one accepted before is refused SUPERSEDED', async () => {
    const newer = await lmWith({ license: null });
    const { root, vendor } = newer.world;
    writeFileSync(newer.world.trustPath, trustFile(root, signedBundle(root, 5, entriesOf(vendor))));
    await newer.restart();
    await newer.load();
    const first = await watch({ ...newer.sdk, product: 'graphdb' });
    expect(first.status()).toMatchObject({ licensed: true });
    await first.close();

    const older = await lmWith({ world: { root } }); // the vendor's bundle serial 1, before a key was revoked, say
    const { watched } = await verdicts(older, older.url);
    expect(watched).toMatchObject({ licensed: false, code: 'SUPERSEDED' });
    expect(watched.message).toMatch(/holds trust bundle serial 1, older than serial 5 this product already accepted/);
  });
});
