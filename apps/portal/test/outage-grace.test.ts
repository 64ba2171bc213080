/**
 * The portal's reading of an outage grace typed in a form against what core signs: the same limit, whole hours
 * only, and the words the pages show for it.
 */
import { MAX_OUTAGE_GRACE_HOURS } from '@tessera/core';
import { describe, expect, it } from 'vitest';
import { graceHoursFrom, MAX_OUTAGE_GRACE_HOURS as PORTAL_MAX, outageGraceText } from '../src/components/outage-grace';

describe('graceHoursFrom', () => {
  it("has core's limit, and takes whole hours from 0 to it, spaces around allowed", () => {
    expect(PORTAL_MAX).toBe(MAX_OUTAGE_GRACE_HOURS);
    for (const [typed, hours] of [
      ['0', 0],
      ['72', 72],
      [' 24 ', 24],
      [String(MAX_OUTAGE_GRACE_HOURS), MAX_OUTAGE_GRACE_HOURS],
    ] as const) {
      expect(graceHoursFrom(typed)).toEqual({ ok: true, value: hours });
    }
  });

  it('refuses anything else, saying what it must be and what was typed', () => {
    for (const typed of ['', '-1', '1.5', '72h', String(MAX_OUTAGE_GRACE_HOURS + 1), '99999', '1e3']) {
      expect(graceHoursFrom(typed)).toEqual({
        ok: false,
        message: `The outage grace must be a whole number of hours from 0 to 2160; it is "${typed}".`,
      });
    }
  });

  it('writes 0 as strict and counts hours in words', () => {
    expect([0, 1, 72].map(outageGraceText)).toEqual(['0 hours (strict)', '1 hour', '72 hours']);
  });
});
