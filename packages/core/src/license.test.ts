import { describe, expect, it } from 'vitest';
import { issueLicense, readLicense } from './license.js';
import type { LicenseInput } from './license.js';
import { makeWorld, unwrap } from '../test/helpers.js';

const { vendor, trust, input } = makeWorld();

describe('issuing and reading a license', () => {
  it('round-trips every field, with the default warn and grace days', () => {
    const key = unwrap(issueLicense(input, vendor));
    const license = unwrap(readLicense(key, trust));
    expect(license).toMatchObject({ ...input, type: 'NODE', warnDays: 30, graceDays: 14, kid: vendor.kid, key });
    expect(license.expiresAtMs).toBe(Date.parse(input.expiresAt));
  });

  it('keeps explicit warn and grace days', () => {
    const license = unwrap(readLicense(unwrap(issueLicense({ ...input, warnDays: 7, graceDays: 0 }, vendor)), trust));
    expect([license.warnDays, license.graceDays]).toEqual([7, 0]);
  });

  it('carries the outage grace it is signed with, and reads one signed without it as strict (0), its bytes as before', () => {
    const graced = unwrap(readLicense(unwrap(issueLicense({ ...input, outageGraceHours: 72 }, vendor)), trust));
    expect(graced.outageGraceHours).toBe(72);
    const plain = unwrap(issueLicense(input, vendor));
    expect(Buffer.from(plain.split('.')[1]!, 'base64url').toString()).not.toContain('outageGraceHours');
    expect(unwrap(readLicense(plain, trust)).outageGraceHours).toBe(0);
    for (const bad of [-1, 1.5, 2161]) {
      expect(issueLicense({ ...input, outageGraceHours: bad }, vendor)).toMatchObject({ ok: false, code: 'MALFORMED' });
    }
  });

  it('detects any change to the signed bytes', () => {
    const key = unwrap(issueLicense(input, vendor));
    const [head, payload, signature] = key.split('.') as [string, string, string];
    const json = Buffer.from(payload, 'base64url').toString().replace('"query":3', '"query":9');
    const forged = `${head}.${Buffer.from(json).toString('base64url')}.${signature}`;
    expect(readLicense(forged, trust)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });
});

describe('license fields', () => {
  const cases: [string, Partial<LicenseInput> | Record<string, unknown>, RegExp][] = [
    ['an id without the lic_ prefix', { id: 'abc' }, /id must look like lic_/],
    ['a zero serial', { serial: 0 }, /serial must be a whole number/],
    ['an upper-case product', { product: 'GraphDB' }, /product must be a lowercase name/],
    ['no roles', { nodes: {} }, /nodes must name at least one entry/],
    ['a negative node count', { nodes: { query: -1 } }, /nodes "query" must be a whole number/],
    ['a fractional limit', { limits: { remote_clusters: 1.5 } }, /limits "remote_clusters"/],
    ['a repeated feature', { features: ['scan', 'scan'] }, /lists a name twice/],
    ['a date-only expiry', { expiresAt: '2027-11-01' }, /ISO 8601 UTC/],
    ['an impossible date', { expiresAt: '2027-02-30T00:00:00Z' }, /ISO 8601 UTC/],
    ['an expiry before the start', { expiresAt: '2026-10-01T00:00:00Z' }, /expiresAt must be after startsAt/],
    ['an unknown mode', { mode: 'hybrid' }, /mode must be online or offline/],
    ['an LMID with a typo', { lmid: 'QPDH-7K2M-W8RT-0C4X' }, /not bound to a valid LMID/],
    ['a customer name with control characters', { customer: { id: 'cus_1', name: 'A\u0007B' } }, /control characters/],
  ];
  it.each(cases)('refuses %s before signing', (_name, change, message) => {
    const result = issueLicense({ ...input, ...change } as LicenseInput, vendor);
    expect(result).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(!result.ok && result.detail).toMatch(message);
  });
});
