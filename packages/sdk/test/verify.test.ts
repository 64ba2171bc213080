/** Lease-token checks on tokens signed here, for the cases a real LM never produces. */
import { describe, expect, it } from 'vitest';
import { deriveLmid, fingerprintDigest, generateEd25519, publicKeyFromRaw, rawPublicKey, sealEnvelope } from '@tessera/core';
import { verifyLeaseToken } from '../src/verify.js';
import type { ExpectedToken } from '../src/verify.js';

const { privateKey } = generateEd25519();
const raw = rawPublicKey(privateKey);
const lmid = deriveLmid(raw, fingerprintDigest('host'));
const now = Date.parse('2026-11-24T12:00:00Z');
// What a heartbeat's renewal is checked for: this lease, this node and this connection.
const expected: ExpectedToken = {
  identity: { lmid, publicKey: publicKeyFromRaw(raw)! },
  fields: { leaseId: 'lse_1', product: 'graphdb', role: 'query', nodeId: 'q1', instance: 'inst-1' },
  license: { id: 'lic_1', serial: 1 },
  now,
};
const fields = {
  leaseId: 'lse_1',
  lmid,
  product: 'graphdb',
  role: 'query',
  nodeId: 'q1',
  instance: 'inst-1',
  licenseId: 'lic_1',
  serial: 1,
  issuedAt: new Date(now).toISOString(),
  expiresAt: new Date(now + 30_000).toISOString(),
};

function answer(change: Record<string, unknown> = {}): string {
  return sealEnvelope('lease', { kid: lmid, privateKey }, { ...fields, ...change });
}

describe('verifyLeaseToken', () => {
  it('accepts a token for this lease and answers when it was signed and its signed lifetime', () => {
    expect(verifyLeaseToken(answer(), expected)).toEqual({
      ok: true,
      value: {
        leaseId: 'lse_1',
        role: 'query',
        nodeId: 'q1',
        lmid,
        licenseId: 'lic_1',
        serial: 1,
        issuedAt: now,
        expiresAt: fields.expiresAt,
        ttlMs: 30_000,
      },
    });
  });

  for (const [field, value] of [
    ['leaseId', 'lse_2'],
    ['nodeId', 'q2'],
    ['role', 'storage'],
    ['product', 'guard'],
    ['lmid', 'QQQQ-QQQQ'],
    ['instance', 'inst-2'],
  ] as const) {
    it(`refuses a token for another ${field}`, () => {
      const outcome = verifyLeaseToken(answer({ [field]: value }), expected);
      expect(outcome).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
      expect(!outcome.ok && outcome.detail).toContain(`another ${field} (${value}`);
    });
  }

  for (const [change, named] of [
    [{ licenseId: 'lic_2' }, 'license lic_2 serial 1'],
    [{ serial: 2 }, 'license lic_1 serial 2'],
    [{ serial: '1' }, 'license lic_1 serial 1'],
    [{ licenseId: undefined, serial: undefined }, 'license undefined serial undefined'],
  ] as const) {
    it(`refuses a token signed under another license or serial (${named})`, () => {
      const outcome = verifyLeaseToken(answer(change), expected);
      expect(outcome).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
      expect(!outcome.ok && outcome.detail).toBe(
        `The seat lease token was signed under ${named}, not under the license verified at the License Manager (lic_1 serial 1).`,
      );
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

  it('refuses a token signed by another key under the same LMID', () => {
    const other = generateEd25519().privateKey;
    const forged = sealEnvelope('lease', { kid: lmid, privateKey: other }, fields);
    expect(verifyLeaseToken(forged, expected)).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
  });

  it('refuses a token without an instance when one is expected (a lease of no process, from before instances)', () => {
    const { instance: _instance, ...withoutInstance } = fields;
    const token = sealEnvelope('lease', { kid: lmid, privateKey }, withoutInstance);
    const outcome = verifyLeaseToken(token, expected);
    expect(outcome).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
    expect(!outcome.ok && outcome.detail).toContain('another instance (undefined');
  });

  it('refuses text that is not a lease token', () => {
    const outcome = verifyLeaseToken('tessera-lease:9.x.y', expected);
    expect(outcome).toMatchObject({ ok: false, code: 'LEASE_TOKEN_INVALID' });
    expect(!outcome.ok && outcome.detail).toMatch(/cannot be read/);
  });
});
