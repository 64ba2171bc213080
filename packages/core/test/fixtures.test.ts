/**
 * Known-answer fixtures: signed documents committed to the repository with the verdicts they must get. They
 * guard compatibility with keys already in customers' hands: if reading or evaluating changes, these fail.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkLicenseKey, parseLmid, parseOnlineKey, parseTrustBundle, readRequestCode } from '@tessera/core';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const trust = parseTrustBundle(fixture('trust-bundle.json'));
if (!trust.ok) throw new Error(trust.detail);

interface LicenseCase {
  name: string;
  input: string;
  context: { now: string; lmid: string; product: string; highWaterTime?: string; knownSerial?: { licenseId: string; serial: number } };
  expect: { valid: boolean; status: string; code: string };
}
const { licenses } = JSON.parse(fixture('licenses.json')) as { licenses: LicenseCase[] };
const { requestCodes } = JSON.parse(fixture('request-codes.json')) as {
  requestCodes: { name: string; input: string; expect: { ok: boolean; code?: string; lmid?: string } }[];
};
const identifiers = JSON.parse(fixture('identifiers.json')) as Record<
  'onlineKeys' | 'lmids',
  { name: string; input: string; expect: { ok: boolean; code?: string; value?: string } }[]
>;

describe('license fixtures', () => {
  it('cover every verdict a License Manager can reach', () => {
    const codes = new Set(licenses.map((c) => c.expect.code));
    for (const code of [
      'VALID',
      'EXPIRING',
      'IN_GRACE',
      'EXPIRED',
      'NOT_YET_VALID',
      'SIGNATURE_INVALID',
      'MALFORMED',
      'UNKNOWN_KEY',
      'KEY_REVOKED',
      'LMID_MISMATCH',
      'PRODUCT_MISMATCH',
      'CLOCK_TAMPERED',
      'SUPERSEDED',
      'WRONG_KIND',
    ]) {
      expect(codes, code).toContain(code);
    }
  });

  it.each(licenses)('$name → $expect.code', (c) => {
    const verdict = checkLicenseKey(c.input, trust.value, {
      now: Date.parse(c.context.now),
      lmid: c.context.lmid,
      product: c.context.product,
      highWaterTime: c.context.highWaterTime ? Date.parse(c.context.highWaterTime) : null,
      knownSerial: c.context.knownSerial ?? null,
    });
    expect({ valid: verdict.valid, status: verdict.status, code: verdict.code }).toEqual(c.expect);
    expect(verdict.detail.length).toBeGreaterThan(10);
  });
});

describe('request code fixtures', () => {
  it.each(requestCodes)('$name', (c) => {
    const read = readRequestCode(c.input);
    if (c.expect.ok) {
      expect(read.ok && read.value.lmid).toBe(c.expect.lmid);
    } else {
      expect(read.ok ? 'ok' : read.code).toBe(c.expect.code);
    }
  });
});

describe('identifier fixtures', () => {
  it.each(identifiers.onlineKeys)('online key: $name', (c) => {
    const read = parseOnlineKey(c.input);
    expect(read.ok ? { ok: true, value: read.value } : { ok: false, code: read.code }).toEqual(c.expect);
  });
  it.each(identifiers.lmids)('LMID: $name', (c) => {
    const read = parseLmid(c.input);
    expect(read.ok ? { ok: true, value: read.value } : { ok: false, code: read.code }).toEqual(c.expect);
  });
});
