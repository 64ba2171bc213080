/**
 * The portal's LMID check (src/lmid.ts) against core's: the known-answer fixtures, every single-character typo
 * and neighbour swap of real LMIDs, and random typing, must get the same verdict and the same sentence.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { deriveLmid, parseLmid } from '@tessera/core';
import { describe, expect, it } from 'vitest';
import { checkLmid, finalLmidProblem } from '../src/lmid';

const fixtures = JSON.parse(readFileSync(new URL('../../../packages/core/test/fixtures/identifiers.json', import.meta.url), 'utf8')) as {
  lmids: { name: string; input: string; expect: { ok: true; value: string } | { ok: false; code: string } }[];
};
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The portal's verdict in core's shape: a partial LMID is judged final, as when the person presses Next. */
function portalVerdict(input: string) {
  const check = checkLmid(input);
  if (check.state === 'valid') return { ok: true, value: check.lmid };
  if (check.state === 'empty') return { ok: false, code: 'MALFORMED', detail: check.message };
  return { ok: false, code: check.state === 'invalid' ? check.code : 'MALFORMED', detail: finalLmidProblem(check) };
}

function coreVerdict(input: string) {
  const parsed = parseLmid(input);
  return parsed.ok ? { ok: true, value: parsed.value } : { ok: false, code: parsed.code, detail: parsed.detail };
}

const someLmids = Array.from({ length: 12 }, (_, i) => deriveLmid(new Uint8Array(32).fill(i + 1), new Uint8Array(32).fill(255 - i)));

describe('the portal’s LMID check', () => {
  it('answers core’s known-answer fixtures alike', () => {
    expect(fixtures.lmids.length).toBeGreaterThan(0);
    for (const fixture of fixtures.lmids) {
      expect({ name: fixture.name, ...portalVerdict(fixture.input) }).toMatchObject({ name: fixture.name, ...fixture.expect });
    }
  });

  it('catches every wrong character and every swap of neighbours in real LMIDs, with core’s sentence', () => {
    for (const lmid of someLmids) {
      expect(checkLmid(lmid)).toEqual({ state: 'valid', lmid, message: `The check character matches: ${lmid}.` });
      const plain = lmid.replaceAll('-', '');
      for (let i = 0; i < plain.length; i++) {
        for (const symbol of ALPHABET) {
          if (symbol === plain[i]) continue;
          const typo = plain.slice(0, i) + symbol + plain.slice(i + 1);
          expect(portalVerdict(typo)).toEqual(coreVerdict(typo));
          expect(checkLmid(typo).state).toBe('invalid');
        }
        if (i + 1 < plain.length && plain[i] !== plain[i + 1]) {
          const swapped = plain.slice(0, i) + plain[i + 1] + plain[i] + plain.slice(i + 2);
          expect(checkLmid(swapped)).toMatchObject({ state: 'invalid', code: 'CHECKSUM_MISMATCH' });
        }
      }
    }
  });

  it('agrees with core on random typing: loose case, separators, forbidden letters, any length', () => {
    const typed = fc.string({ unit: fc.constantFrom(...'0123456789ABCDEFGHJKMNPQRSTVWXYZabcxyzOoIiLlUu-  #é'.split('')), maxLength: 24 });
    const nearlyReal = fc
      .tuple(fc.constantFrom(...someLmids), fc.nat(15), fc.constantFrom(...ALPHABET.split('')))
      .map(([lmid, at, symbol]) => {
        const plain = lmid.replaceAll('-', '').toLowerCase();
        return plain.slice(0, at) + symbol + plain.slice(at + 1);
      });
    fc.assert(
      fc.property(fc.oneof(typed, nearlyReal), (input) => {
        expect(portalVerdict(input)).toEqual(coreVerdict(input));
      }),
      { numRuns: 3000 },
    );
  });

  it('tells an LMID still being typed from a wrong one', () => {
    expect(checkLmid('')).toMatchObject({ state: 'empty' });
    expect(checkLmid('qpdh-7k')).toEqual({ state: 'partial', count: 6, message: '6 of 16 characters.' });
    expect(checkLmid('QPDU')).toMatchObject({
      state: 'invalid',
      code: 'MALFORMED',
      message: expect.stringMatching(/^"U" \(character 4\)/),
    });
  });
});
