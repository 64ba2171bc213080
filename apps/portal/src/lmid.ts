/**
 * The LMID check, in the browser: the same reading and GF(32) check symbol as @tessera/core (base32.ts, lmid.ts),
 * which cannot be bundled as is because core hashes with node:crypto. test/lmid.test.ts holds this copy to core's
 * fixtures and to core's parseLmid on random input, so the two cannot drift apart.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
export const LMID_LENGTH = 16;

// Crockford's forgiving reads: lower case, O as zero, I and L as one; hyphens and blanks are ignored.
const VALUE_OF = new Map<string, number>();
for (let i = 0; i < ALPHABET.length; i++) {
  VALUE_OF.set(ALPHABET[i]!, i);
  VALUE_OF.set(ALPHABET[i]!.toLowerCase(), i);
}
for (const [ch, value] of [
  ['O', 0],
  ['I', 1],
  ['L', 1],
] as const) {
  VALUE_OF.set(ch, value);
  VALUE_OF.set(ch.toLowerCase(), value);
}
const IGNORED = new Set(['-', ' ', '\t', '\n', '\r']);

// GF(32) on x^5 + x^2 + 1, alpha = 2: a codeword v is valid when sum(alpha^i * v[i]) = 0.
const EXP: number[] = [];
const LOG: number[] = new Array<number>(32).fill(0);
for (let i = 0, x = 1; i < 31; i++) {
  EXP[i] = x;
  LOG[x] = i;
  x <<= 1;
  if (x & 32) x ^= 0b100101;
}
const gfMul = (a: number, b: number) => (a === 0 || b === 0 ? 0 : EXP[(LOG[a]! + LOG[b]!) % 31]!);

function checkSymbol(data: readonly number[]): number {
  let sum = 0;
  data.forEach((v, i) => {
    sum ^= gfMul(EXP[i]!, v);
  });
  return gfMul(sum, EXP[(31 - data.length) % 31]!);
}

export type LmidCheck =
  | { state: 'empty'; message: string }
  /** Fewer characters than an LMID has, none of them wrong so far: still being typed. */
  | { state: 'partial'; message: string; count: number }
  | { state: 'invalid'; code: 'MALFORMED' | 'CHECKSUM_MISMATCH'; message: string }
  | { state: 'valid'; lmid: string; message: string };

/** Reads a typed LMID as core's parseLmid does, with the same sentences, telling apart one still being typed. */
export function checkLmid(input: string): LmidCheck {
  const symbols: number[] = [];
  for (const ch of input) {
    if (IGNORED.has(ch)) continue;
    const value = VALUE_OF.get(ch);
    if (value === undefined) {
      return {
        state: 'invalid',
        code: 'MALFORMED',
        message: `"${ch}" (character ${symbols.length + 1}) cannot be in an LMID; an LMID uses the digits and the letters A-Z without U.`,
      };
    }
    symbols.push(value);
  }
  if (symbols.length === 0) return { state: 'empty', message: 'The LMID is empty.' };
  if (symbols.length < LMID_LENGTH) {
    return { state: 'partial', count: symbols.length, message: `${symbols.length} of ${LMID_LENGTH} characters.` };
  }
  if (symbols.length > LMID_LENGTH) {
    return {
      state: 'invalid',
      code: 'MALFORMED',
      message: `An LMID has ${LMID_LENGTH} characters (four groups of four); this has ${symbols.length}. Copy it from "tessera-lm info".`,
    };
  }
  if (checkSymbol(symbols.slice(0, -1)) !== symbols[LMID_LENGTH - 1]) {
    return {
      state: 'invalid',
      code: 'CHECKSUM_MISMATCH',
      message: 'This LMID has a typo: its check character does not match. Compare it with "tessera-lm info" character by character.',
    };
  }
  const text = symbols.map((s) => ALPHABET[s]).join('');
  const lmid = text.match(/.{4}/g)!.join('-');
  return { state: 'valid', lmid, message: `The check character matches: ${lmid}.` };
}

/** A partial LMID's message as a final verdict (core's words), for when the person says they are done. */
export function finalLmidProblem(check: LmidCheck): string | null {
  if (check.state === 'valid') return null;
  if (check.state === 'partial') {
    return `An LMID has ${LMID_LENGTH} characters (four groups of four); this has ${check.count}. Copy it from "tessera-lm info".`;
  }
  return check.message;
}
