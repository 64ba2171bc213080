/**
 * Crockford base32 (no I, L, O, U) for the identifiers people read aloud and type: LMIDs and online keys.
 * Each identifier ends in one check symbol computed in GF(32); see checkSymbol().
 */
export const CROCKFORD_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

// Symbol value by ASCII code, -1 where none; lower case reads as upper case (ASCII only: full Unicode
// upper-casing would read the dotless ı as I, and so 1). Crockford's forgiving reads: O is zero, I and L are one.
const VALUE_OF = new Int8Array(128).fill(-1);
const setValue = (ch: string, value: number) => {
  VALUE_OF[ch.charCodeAt(0)] = value;
  VALUE_OF[ch.toLowerCase().charCodeAt(0)] = value;
};
for (let i = 0; i < CROCKFORD_ALPHABET.length; i++) setValue(CROCKFORD_ALPHABET[i]!, i);
setValue('O', 0);
setValue('I', 1);
setValue('L', 1);

export type SymbolsResult = { ok: true; symbols: number[] } | { ok: false; badChar: string; position: number };

/**
 * Reads typed text as base32 symbols, forgiving case, spaces, hyphens, O/0 and I/1/L.
 * Reports the first character that cannot be a symbol (1-based position among the meaningful characters).
 */
export function readSymbols(text: string): SymbolsResult {
  const symbols: number[] = [];
  for (const raw of text) {
    if (raw === '-' || raw === ' ' || raw === '\t' || raw === '\n' || raw === '\r') continue;
    const code = raw.charCodeAt(0);
    const value = code < 128 && raw.length === 1 ? VALUE_OF[code]! : -1;
    if (value < 0) return { ok: false, badChar: raw, position: symbols.length + 1 };
    symbols.push(value);
  }
  return { ok: true, symbols };
}

export function symbolsToText(symbols: readonly number[], groupSize: number): string {
  let out = '';
  symbols.forEach((s, i) => {
    if (i > 0 && i % groupSize === 0) out += '-';
    out += CROCKFORD_ALPHABET[s];
  });
  return out;
}

/** Takes the first `count` 5-bit symbols from bytes (big-endian bit order). */
export function bytesToSymbols(bytes: Uint8Array, count: number): number[] {
  if (bytes.length * 8 < count * 5) throw new RangeError('not enough bytes for the requested symbols');
  const symbols: number[] = [];
  let acc = 0;
  let bits = 0;
  let i = 0;
  while (symbols.length < count) {
    acc = ((acc << 8) | bytes[i++]!) & 0xffff;
    bits += 8;
    while (bits >= 5 && symbols.length < count) {
      symbols.push((acc >> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  return symbols;
}

// GF(32) built on the primitive polynomial x^5 + x^2 + 1; alpha = 2 generates all 31 non-zero elements.
const EXP: number[] = [];
const LOG: number[] = new Array<number>(32).fill(0);
{
  let x = 1;
  for (let i = 0; i < 31; i++) {
    EXP[i] = x;
    LOG[x] = i;
    x <<= 1;
    if (x & 32) x ^= 0b100101;
  }
}

function gfMul(a: number, b: number): number {
  if (a === 0 || b === 0) return 0;
  return EXP[(LOG[a]! + LOG[b]!) % 31]!;
}

/**
 * The check symbol for `data`, placed right after it. A codeword v[0..n-1] is valid when
 * sum(alpha^i * v[i]) = 0 in GF(32). A single wrong symbol at i changes the sum by alpha^i * e (never 0), and a
 * swap of neighbours i, i+1 changes it by alpha^i * (1 + alpha) * (a + b) (never 0 when a != b), so both are
 * always caught, the check symbol included. Works for codewords of up to 31 symbols.
 */
export function checkSymbol(data: readonly number[]): number {
  if (data.length > 30) throw new RangeError('codeword longer than 31 symbols');
  let sum = 0;
  data.forEach((v, i) => {
    sum ^= gfMul(EXP[i]!, v);
  });
  // c * alpha^n = sum  =>  c = sum * alpha^(31 - n)
  return gfMul(sum, EXP[(31 - data.length) % 31]!);
}

export function isCodeword(symbols: readonly number[]): boolean {
  if (symbols.length < 2 || symbols.length > 31) return false;
  return checkSymbol(symbols.slice(0, -1)) === symbols[symbols.length - 1];
}
