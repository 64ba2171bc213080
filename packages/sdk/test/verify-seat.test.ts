/** verifySeat(): a controller checks a node's seat token against the real License Manager, trusting not the node. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateEd25519, generateSigningKey, parseEnvelope, sealEnvelope, serializeTrustBundle } from '@tessera/core';
import { connect, verifySeat } from '@tessera/sdk';
import type { Connection } from '@tessera/sdk';
import { startLm } from './support/lm.js';
import type { TestLm } from './support/lm.js';

let lm: TestLm;
let connection: Connection;
let token: string;

beforeEach(async () => {
  lm = await startLm();
  connection = await connect({ url: lm.url, product: 'graphdb', role: 'storage', nodeId: 's1' });
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
    expect(await verifySeat({ url: lm.url, product: 'graphdb', token })).toEqual({
      ok: true,
      leaseId: seat.leaseId,
      role: 'storage',
      nodeId: 's1',
      expiresAt: seat.expiresAt,
      lmid: lm.daemon.lmid,
    });
    expect(await verifySeat({ url: lm.url, product: 'graphdb', token, trust: lm.trust })).toMatchObject({ ok: true, nodeId: 's1' });
  });

  it('refuses an altered token: a changed field, or a signature by another key', async () => {
    const [head, payload, signature] = token.split('.');
    const flipped = `${head}.${payload}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
    for (const altered of [flipped, resealed({ nodeId: 's2' }, generateEd25519().privateKey), token.slice(0, -4)]) {
      const verdict = await verifySeat({ url: lm.url, product: 'graphdb', token: altered });
      expect(verdict).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
      expect(!verdict.ok && verdict.message).toMatch(/^The seat token does not verify: /);
    }
  });

  it("refuses another product's token", async () => {
    const verdict = await verifySeat({ url: lm.url, product: 'guard', token });
    expect(verdict).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
    expect(!verdict.ok && verdict.message).toContain('another product (graphdb, expected guard)');
  });

  it('refuses an expired token, even one the LM signed', async () => {
    const hourAgo = Date.now() - 3_600_000;
    const old = resealed({ issuedAt: new Date(hourAgo - 3000).toISOString(), expiresAt: new Date(hourAgo).toISOString() });
    const verdict = await verifySeat({ url: lm.url, product: 'graphdb', token: old });
    expect(verdict).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
    expect(!verdict.ok && verdict.message).toMatch(/expired at .* by this host's clock/);
  });

  it("refuses when the trust bundle is not the license's vendor's", async () => {
    const other = generateSigningKey();
    const stranger = serializeTrustBundle([{ kid: other.kid, state: 'active', publicKeyRaw: other.publicKeyRaw }]);
    const verdict = await verifySeat({ url: lm.url, product: 'graphdb', token, trust: stranger });
    expect(verdict).toMatchObject({ ok: false, code: 'UNKNOWN_KEY' });
    expect(!verdict.ok && verdict.message).toMatch(/does not verify with the trust bundle/);
  });

  it('answers LM_UNREACHABLE when the LM cannot be asked, and BAD_OPTIONS for bad options, without throwing', async () => {
    const url = lm.url;
    await connection.close();
    await lm.stop();
    const verdict = await verifySeat({ url, product: 'graphdb', token, timeoutMs: 1000 });
    expect(verdict).toMatchObject({ ok: false, code: 'LM_UNREACHABLE' });
    expect(!verdict.ok && verdict.message).toMatch(/cannot be asked .*so the seat token cannot be checked/);
    expect(await verifySeat({ url: 'ftp://x', product: 'graphdb', token })).toMatchObject({ ok: false, code: 'BAD_OPTIONS' });
    expect(await verifySeat({ url, product: 'graphdb', token: '' })).toMatchObject({ ok: false, code: 'BAD_OPTIONS' });
    expect(await verifySeat({ url, product: 'Graph DB', token })).toMatchObject({ ok: false, code: 'BAD_OPTIONS' });
  });
});
