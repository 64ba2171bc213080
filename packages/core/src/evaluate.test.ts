import { describe, expect, it } from 'vitest';
import { checkLicenseKey, evaluate } from './evaluate.js';
import { issueLicense, readLicense } from './license.js';
import type { LicenseInput } from './license.js';
import { DAY_MS } from './time.js';
import { makeWorld, unwrap } from '../test/helpers.js';

const { vendor, trust, input, context, lm } = makeWorld();
const expires = Date.parse(input.expiresAt);
const licenseOf = (change: Partial<LicenseInput> = {}) => unwrap(readLicense(unwrap(issueLicense({ ...input, ...change }, vendor)), trust));
const license = licenseOf();
const at = (now: number, extra: object = {}) => evaluate(license, { ...context, now, ...extra });

describe('the degrade schedule', () => {
  it('is Normal until warnDays before expiry', () => {
    expect(at(expires - 30 * DAY_MS - 1)).toMatchObject({ valid: true, status: 'Normal', code: 'VALID', daysLeft: 31 });
  });
  it('is Expiring from warnDays before expiry', () => {
    const verdict = at(expires - 30 * DAY_MS);
    expect(verdict).toMatchObject({ valid: true, status: 'Expiring', code: 'EXPIRING', daysLeft: 30 });
    expect(at(expires - 1).detail).toBe('Expires on 2027-11-01, in 1 day. Renew it to keep it running.');
  });
  it('is Grace from the expiry for graceDays, still valid, counting the days left', () => {
    expect(at(expires)).toMatchObject({ valid: true, status: 'Grace', code: 'IN_GRACE', daysLeft: 0 });
    const lastDay = at(expires + 14 * DAY_MS - 1);
    expect(lastDay).toMatchObject({ valid: true, status: 'Grace', daysLeft: -13 });
    expect(lastDay.detail).toMatch(/for 1 more day of grace, until 2027-11-15/);
  });
  it('is Expired once grace is over', () => {
    const verdict = at(expires + 14 * DAY_MS);
    expect(verdict).toMatchObject({ valid: false, status: 'Expired', code: 'EXPIRED', daysLeft: -14 });
    expect(verdict.detail).toMatch(/grace days ended on 2027-11-15/);
  });
  it('follows the signed warn and grace days', () => {
    const strict = licenseOf({ warnDays: 0, graceDays: 0 });
    expect(evaluate(strict, { ...context, now: expires - 1 }).status).toBe('Normal');
    expect(evaluate(strict, { ...context, now: expires }).status).toBe('Expired');
  });
  it('is NOT_YET_VALID before the start', () => {
    const later = licenseOf({ startsAt: '2027-01-01T00:00:00Z' });
    expect(evaluate(later, context)).toMatchObject({ valid: false, status: 'Invalid', code: 'NOT_YET_VALID', daysLeft: null });
  });
});

describe('where and for what a license counts', () => {
  it('is NotExist with no license', () => {
    expect(evaluate(null, context)).toMatchObject({ valid: false, status: 'NotExist', code: 'NO_LICENSE' });
  });
  it('never grants another product', () => {
    expect(evaluate(license, { ...context, product: 'explorer' })).toMatchObject({
      valid: false,
      status: 'Invalid',
      code: 'PRODUCT_MISMATCH',
    });
  });
  it('is Invalid on another License Manager, naming both LMIDs', () => {
    const verdict = evaluate(license, { ...context, lmid: 'QPDH-7K2M-W8RT-0C4Z' });
    expect(verdict).toMatchObject({ valid: false, code: 'LMID_MISMATCH' });
    expect(verdict.detail).toContain(lm.lmid);
  });
  it('refuses an older serial of the same license, but not of another license', () => {
    expect(evaluate(license, { ...context, knownSerial: { licenseId: input.id, serial: 2 } }).code).toBe('SUPERSEDED');
    expect(evaluate(license, { ...context, knownSerial: { licenseId: input.id, serial: 1 } }).code).toBe('VALID');
    expect(evaluate(license, { ...context, knownSerial: { licenseId: 'lic_other', serial: 9 } }).code).toBe('VALID');
  });
});

describe('clock safety', () => {
  const now = context.now;
  it('tolerates a clock a little behind the highest time seen', () => {
    expect(at(now, { highWaterTime: now + 10 * 60_000 }).code).toBe('VALID');
  });
  it('is CLOCK_TAMPERED when the clock was set back beyond the tolerance', () => {
    expect(at(now, { highWaterTime: now + 10 * 60_000 + 1 })).toMatchObject({ valid: false, code: 'CLOCK_TAMPERED' });
    expect(at(now, { highWaterTime: now + 60_000, clockToleranceMs: 30_000 }).code).toBe('CLOCK_TAMPERED');
  });
  it('is CLOCK_TAMPERED when the clock is behind the time the license was issued', () => {
    expect(at(Date.parse(input.issuedAt) - 11 * 60_000).code).toBe('CLOCK_TAMPERED');
  });
  it('recovers when the clock is back', () => {
    expect(at(now + DAY_MS, { highWaterTime: now }).code).toBe('VALID');
  });
  it('accepts Date objects as well as epoch milliseconds', () => {
    expect(evaluate(license, { ...context, now: new Date(now), highWaterTime: new Date(now) }).code).toBe('VALID');
  });
});

describe('checkLicenseKey', () => {
  it('returns the license with the verdict, or the reading failure as an Invalid verdict', () => {
    const key = unwrap(issueLicense(input, vendor));
    expect(checkLicenseKey(key, trust, context)).toMatchObject({ valid: true, code: 'VALID', license: { id: input.id } });
    expect(checkLicenseKey(key.slice(0, 200), trust, context)).toMatchObject({
      valid: false,
      status: 'Invalid',
      code: 'MALFORMED',
      license: null,
    });
  });
});
