import { describe, expect, it } from 'vitest';
import { issueClockReset, readClockReset } from './clock-reset.js';
import { generateSigningKey } from './keyring.js';
import { makeLm, trustFor, unwrap } from '../test/helpers.js';

describe('clock resets', () => {
  const vendor = generateSigningKey();
  const trust = trustFor([{ key: vendor, state: 'active' }]);
  const lm = makeLm();
  const input = { id: 'rst_1', lmid: lm.lmid, fromHighWater: '2027-06-01T00:00:00.000Z', toTime: '2026-12-07T10:00:00.000Z' };

  it('are signed by a vendor key and read back with their times', () => {
    const text = unwrap(issueClockReset(input, vendor));
    expect(unwrap(readClockReset(text, trust))).toMatchObject({
      ...input,
      kid: vendor.kid,
      fromHighWaterMs: Date.parse(input.fromHighWater),
      toTimeMs: Date.parse(input.toTime),
    });
  });
  it('made by a key the vendor does not trust are refused UNKNOWN_KEY; bad fields MALFORMED', () => {
    expect(readClockReset(unwrap(issueClockReset(input, generateSigningKey())), trust)).toMatchObject({ ok: false, code: 'UNKNOWN_KEY' });
    expect(issueClockReset({ ...input, lmid: 'nope' }, vendor)).toMatchObject({ ok: false, code: 'MALFORMED' });
    expect(issueClockReset({ ...input, toTime: 'soon' }, vendor)).toMatchObject({ ok: false, code: 'MALFORMED' });
  });
});
