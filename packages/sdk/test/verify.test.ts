/** Lease-token checks on tokens signed here, for the cases a real LM never produces. */
import { describe, expect, it } from 'vitest';
import { deriveLmid, fingerprintDigest, generateEd25519, publicKeyFromRaw, rawPublicKey, sealEnvelope } from '@tessera/core';
import { verifyLeaseToken } from '../src/verify.js';
import type { ExpectedLease } from '../src/verify.js';
import type { CheckoutAnswer } from '../src/lm-client.js';

const { privateKey } = generateEd25519();
const raw = rawPublicKey(privateKey);
const lmid = deriveLmid(raw, fingerprintDigest('host'));
const now = Date.parse('2026-11-24T12:00:00Z');
const expected: ExpectedLease = {
  identity: { lmid, publicKey: publicKeyFromRaw(raw)! },
  product: 'graphdb',
  role: 'query',
  nodeId: 'q1',
  now,
};
const fields = {
  leaseId: 'lse_1',
  lmid,
  product: 'graphdb',
  role: 'query',
  nodeId: 'q1',
  licenseId: 'lic_1',
  serial: 1,
  issuedAt: new Date(now).toISOString(),
  expiresAt: new Date(now + 30_000).toISOString(),
};

function answer(change: Record<string, unknown> = {}): CheckoutAnswer {
  const token = sealEnvelope('lease', { kid: lmid, privateKey }, { ...fields, ...change });
  return { leaseId: 'lse_1', expiresAt: fields.expiresAt, ttlSeconds: 30, token, status: 'Normal', code: 'VALID' };
}

describe('verifyLeaseToken', () => {
  it('accepts a token for this lease and answers its signed lifetime', () => {
    expect(verifyLeaseToken(answer(), expected)).toEqual({ ok: true, value: { ttlMs: 30_000 } });
  });

  for (const [field, value] of [
    ['leaseId', 'lse_2'],
    ['nodeId', 'q2'],
    ['role', 'storage'],
    ['product', 'guard'],
  ] as const) {
    it(`refuses a token for another ${field}`, () => {
      const outcome = verifyLeaseToken(answer({ [field]: value }), expected);
      expect(outcome).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
      expect(!outcome.ok && outcome.detail).toContain(`another ${field} (${value}`);
    });
  }

  it('refuses a token that expired more than the clock tolerance ago, naming both clocks', () => {
    const outcome = verifyLeaseToken(answer(), { ...expected, now: now + 30_000 + 11 * 60_000 });
    expect(outcome).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
    expect(!outcome.ok && outcome.detail).toMatch(/expired at .* by this host's clock/);
    expect(verifyLeaseToken(answer(), { ...expected, now: now + 30_000 + 9 * 60_000 }).ok).toBe(true);
  });

  it('refuses a token whose times are missing or backwards', () => {
    expect(verifyLeaseToken(answer({ expiresAt: fields.issuedAt }), expected)).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
    expect(verifyLeaseToken(answer({ issuedAt: 'yesterday' }), expected)).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
  });

  it('refuses text that is not a lease token', () => {
    const outcome = verifyLeaseToken({ ...answer(), token: 'tessera-lease:9.x.y' }, expected);
    expect(outcome).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
    expect(!outcome.ok && outcome.detail).toMatch(/cannot be read/);
  });
});
