/**
 * verifySeat(): a controller checks a node's seat token against the real License Manager, trusting not the node: the
 * license is verified up to the controller's root and evaluated on its clock, and the token must name that license.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateEd25519, parseEnvelope, sealEnvelope } from '@tessera/core';
import { connect, verifySeat } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import { makeRoot } from '../../manager/test/support/world.js';
import { DAY, startLm } from './support/lm.js';
import type { TestLm } from './support/lm.js';

let lm: TestLm;
let connection: Connection;
let token: string;

beforeEach(async () => {
  lm = await startLm();
  connection = await connect({ ...lm.sdk, product: 'graphdb', role: 'storage', nodeId: 's1' });
  token = connection.status().seat!.token;
});
afterEach(async () => {
  await connection.close();
  await lm.cleanup();
});

/** The token's payload fields, changed, signed again by `privateKey` under the LM's kid. */
function resealed(change: Record<string, unknown>, privateKey = lm.daemon.services.identity.privateKey): string {
  const envelope = parseEnvelope(token, 'lease');
  if (!envelope.ok) throw new Error(envelope.detail);
  const { v: _v, kid, typ: _typ, ...fields } = envelope.value.payload;
  return sealEnvelope('lease', { kid: String(kid), privateKey }, { ...fields, ...change });
}

describe('verifySeat', () => {
  it('accepts a live token and says whose seat it is', async () => {
    const seat = connection.status().seat!;
    expect(await verifySeat({ ...lm.sdk, product: 'graphdb', token })).toEqual({
      ok: true,
      leaseId: seat.leaseId,
      role: 'storage',
      nodeId: 's1',
      expiresAt: seat.expiresAt,
      lmid: lm.daemon.lmid,
      licenseId: 'lic_lmtest',
      serial: 1,
    });
  });

  it('refuses an altered token: a changed field, or a signature by another key', async () => {
    const [head, payload, signature] = token.split('.');
    const flipped = `${head}.${payload}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
    for (const altered of [flipped, resealed({ nodeId: 's2' }, generateEd25519().privateKey), token.slice(0, -4)]) {
      const verdict = await verifySeat({ ...lm.sdk, product: 'graphdb', token: altered });
      expect(verdict).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
      expect(!verdict.ok && verdict.message).toMatch(/^The seat token does not verify: /);
    }
  });

  it("refuses another product's token: the LM's license is not for that product", async () => {
    const verdict = await verifySeat({ ...lm.sdk, product: 'guard', token });
    expect(verdict).toMatchObject({ ok: false, code: 'PRODUCT_MISMATCH' });
  });

  it('refuses an expired token, even one the LM signed', async () => {
    const hourAgo = Date.now() - 3_600_000;
    const old = resealed({ issuedAt: new Date(hourAgo - 3000).toISOString(), expiresAt: new Date(hourAgo).toISOString() });
    const verdict = await verifySeat({ ...lm.sdk, product: 'graphdb', token: old });
    expect(verdict).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
    expect(!verdict.ok && verdict.message).toMatch(/expired at .* by this host's clock/);
  });

  it("refuses when the LM's trust bundle is not signed by the controller's root", async () => {
    const verdict = await verifySeat({ ...lm.sdk, product: 'graphdb', token, root: makeRoot().text });
    expect(verdict).toMatchObject({ ok: false, code: 'UNTRUSTED_ROOT' });
    expect(!verdict.ok && verdict.message).toMatch(/not a root this product was built with/);
  });

  it('refuses a token the LM signed under another license or serial than the license the controller verified', async () => {
    for (const [change, named] of [
      [{ serial: 2 }, 'lic_lmtest serial 2'],
      [{ licenseId: 'lic_other' }, 'lic_other serial 1'],
    ] as const) {
      const verdict = await verifySeat({ ...lm.sdk, product: 'graphdb', token: resealed(change) });
      expect(verdict).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
      expect(!verdict.ok && verdict.message).toContain(`signed under license ${named}, not under the license verified`);
    }
    // Once the LM holds serial 2, the node's token of serial 1 no longer names it: the node sends its newer one.
    await lm.load({ serial: 2 });
    expect(await verifySeat({ ...lm.sdk, product: 'graphdb', token })).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
  });

  it("refuses every seat once the license is expired by the controller's own evaluation", async () => {
    lm.world.clock.advance(400 * DAY);
    const verdict = await verifySeat({ ...lm.sdk, product: 'graphdb', token });
    expect(verdict).toMatchObject({ ok: false, code: 'EXPIRED' });
    expect(!verdict.ok && verdict.message).toMatch(/No seat at the License Manager at .* is licensed: Expired on/);
  });

  it('answers LM_UNREACHABLE when the LM cannot be asked, and BAD_OPTIONS for bad options, without throwing', async () => {
    const url = lm.url;
    await connection.close();
    await lm.stop();
    const verdict = await verifySeat({ ...lm.sdk, url, product: 'graphdb', token, timeoutMs: 1000 });
    expect(verdict).toMatchObject({ ok: false, code: 'LM_UNREACHABLE' });
    expect(!verdict.ok && verdict.message).toMatch(/cannot be asked .*so the seat token cannot be checked/);
    expect(await verifySeat({ ...lm.sdk, url: 'ftp://x', product: 'graphdb', token })).toMatchObject({ ok: false, code: 'BAD_OPTIONS' });
    expect(await verifySeat({ ...lm.sdk, url, product: 'graphdb', token: '' })).toMatchObject({ ok: false, code: 'BAD_OPTIONS' });
    expect(await verifySeat({ ...lm.sdk, url, product: 'Graph DB', token })).toMatchObject({ ok: false, code: 'BAD_OPTIONS' });
    expect(await verifySeat({ url, product: 'graphdb', token } as never)).toMatchObject({ ok: false, code: 'BAD_OPTIONS' });
  });
});
