/** identity.seal is read from a disk the customer controls: its reader never throws and lets no edit through. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EMPTY_SEALED_STATE, mergeSealedStates, sameSealedState, sealKey, sealState, unsealState } from './sealed-state.js';
import type { SealedState } from './sealed-state.js';

const key = sealKey(new Uint8Array(32).fill(7));
const time = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) });
const state: fc.Arbitrary<SealedState> = fc.record({
  highWater: fc.option(time, { nil: null }),
  vendorTime: fc.option(time, { nil: null }),
  serials: fc.dictionary(fc.stringMatching(/^lic_[A-Za-z0-9_-]{1,12}$/), fc.integer({ min: 1, max: 1_000_000 }), { maxKeys: 5 }),
  bundleSerial: fc.integer({ min: 0, max: 1000 }),
  bundle: fc.option(fc.stringMatching(/^tessera-trust:[A-Za-z0-9._-]{1,40}$/), { nil: null }),
});

describe('the sealed state file', () => {
  it('reads back every state it seals', () => {
    fc.assert(
      fc.property(state, (s) => {
        expect(unsealState(sealState(s, key), key)).toEqual({ ok: true, value: s });
      }),
    );
  });

  it('never throws, whatever the file holds', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json().map((j) => j),
        ),
        (text) => {
          const read = unsealState(text, key);
          expect(read.ok).toBe(false);
        },
      ),
    );
  });

  it('refuses every change to a value, and a seal made with another identity', () => {
    fc.assert(
      fc.property(state, fc.nat(), (s, at) => {
        const text = sealState(s, key);
        const json = JSON.parse(text) as Record<string, unknown>;
        const field = (['highWater', 'vendorTime', 'serials', 'bundleSerial', 'bundle'] as const)[at % 5]!;
        const changed = {
          ...json,
          [field]:
            field === 'bundleSerial'
              ? s.bundleSerial + 1
              : field === 'serials'
                ? { ...s.serials, lic_added_by_an_edit: 1 }
                : s[field] === null
                  ? new Date(0).toISOString()
                  : null,
        };
        if (field === 'bundle' && s.bundle === null) changed.bundle = 'tessera-trust:x';
        const read = unsealState(JSON.stringify(changed), key);
        expect(read.ok).toBe(false);
      }),
    );
    const other = sealKey(new Uint8Array(32).fill(8));
    expect(unsealState(sealState(EMPTY_SEALED_STATE, other), key)).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });
});

describe('merging the sealed states of two replicas', () => {
  it('is commutative and idempotent, and lowers no serial, bundle or vendor time', () => {
    fc.assert(
      fc.property(state, state, (a, b) => {
        const merged = mergeSealedStates(a, b);
        expect(sameSealedState(merged, mergeSealedStates(b, a))).toBe(true);
        expect(sameSealedState(mergeSealedStates(merged, merged), merged)).toBe(true);
        for (const [id, serial] of [...Object.entries(a.serials), ...Object.entries(b.serials)]) {
          expect(merged.serials[id]).toBeGreaterThanOrEqual(serial);
        }
        expect(merged.bundleSerial).toBe(Math.max(a.bundleSerial, b.bundleSerial));
        for (const v of [a.vendorTime, b.vendorTime]) if (v !== null) expect(merged.vendorTime).toBeGreaterThanOrEqual(v);
      }),
    );
  });

  it('keeps the higher mark, unless the other replica took a newer vendor-signed correction', () => {
    const t = Date.UTC(2026, 10, 24);
    const ahead = { ...EMPTY_SEALED_STATE, highWater: t + 400 * 86_400_000, vendorTime: t - 60_000 };
    const corrected = { ...EMPTY_SEALED_STATE, highWater: t, vendorTime: t };
    expect(mergeSealedStates(ahead, corrected).highWater).toBe(t);
    expect(mergeSealedStates(corrected, ahead).highWater).toBe(t);
    const later = { ...corrected, highWater: t + 120_000 };
    expect(mergeSealedStates(corrected, later).highWater).toBe(t + 120_000);
  });
});
