import { describe, expect, it } from 'vitest';
import { bytesToSymbols, checkSymbol, isCodeword, readSymbols, symbolsToText } from './base32.js';

function codeword(seed: number, dataLength: number): number[] {
  const data = Array.from({ length: dataLength }, (_, i) => (seed * 7 + i * 13 + ((seed * i) % 11)) % 32);
  return [...data, checkSymbol(data)];
}

describe('check symbol', () => {
  // Exhaustive over positions and values for the two lengths in use: LMIDs (16) and online keys (25).
  for (const length of [16, 25]) {
    it(`catches every single wrong symbol in a ${length}-symbol codeword`, () => {
      for (let seed = 0; seed < 40; seed++) {
        const word = codeword(seed, length - 1);
        expect(isCodeword(word)).toBe(true);
        for (let position = 0; position < length; position++) {
          for (let value = 0; value < 32; value++) {
            if (value === word[position]) continue;
            const wrong = [...word];
            wrong[position] = value;
            expect(isCodeword(wrong), `seed ${seed} position ${position} value ${value}`).toBe(false);
          }
        }
      }
    });

    it(`catches every swap of different neighbours in a ${length}-symbol codeword`, () => {
      for (let seed = 0; seed < 200; seed++) {
        const word = codeword(seed, length - 1);
        for (let position = 0; position + 1 < length; position++) {
          if (word[position] === word[position + 1]) continue;
          const swapped = [...word];
          [swapped[position], swapped[position + 1]] = [swapped[position + 1]!, swapped[position]!];
          expect(isCodeword(swapped), `seed ${seed} position ${position}`).toBe(false);
        }
      }
    });
  }
});

describe('reading symbols', () => {
  it('forgives case, spaces, hyphens and the look-alikes O, I and L', () => {
    const read = readSymbols(' ab-cd o i l\n');
    expect(read).toEqual({ ok: true, symbols: [10, 11, 12, 13, 0, 1, 1] });
  });
  it('names the first character that cannot be a symbol and where it is', () => {
    expect(readSymbols('AB-UX')).toEqual({ ok: false, badChar: 'U', position: 3 });
    expect(readSymbols('A#')).toEqual({ ok: false, badChar: '#', position: 2 });
  });
  it('writes symbols in groups', () => {
    expect(symbolsToText([0, 1, 2, 3, 4, 5, 31], 3)).toBe('012-345-Z');
  });
  it('takes 5-bit symbols from bytes, most significant bits first', () => {
    expect(bytesToSymbols(Uint8Array.of(0b10001000, 0b01100100), 3)).toEqual([0b10001, 0b00001, 0b10010]);
    expect(() => bytesToSymbols(Uint8Array.of(1), 2)).toThrow(RangeError);
  });
});
