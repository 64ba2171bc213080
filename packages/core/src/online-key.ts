/**
 * Online keys: 5 groups of 5 Crockford symbols (24 random symbols, 120 bits, and a check symbol) with which a
 * License Manager pulls its license from the License Center. The check catches any single wrong character and any
 * swap of neighbours before a network call is made.
 */
import { randomBytes } from 'node:crypto';
import { bytesToSymbols, checkSymbol, isCodeword, readSymbols, symbolsToText } from './base32.js';
import { LMID_LENGTH } from './lmid.js';
import { fail, ok } from './result.js';
import type { Result } from './result.js';

const DATA_SYMBOLS = 24;
export const ONLINE_KEY_LENGTH = DATA_SYMBOLS + 1;

/** A new online key from 15 random bytes (injectable for tests). */
export function generateOnlineKey(random: (size: number) => Uint8Array = randomBytes): string {
  const data = bytesToSymbols(random(15), DATA_SYMBOLS);
  return symbolsToText([...data, checkSymbol(data)], 5);
}

/** Reads a typed or pasted online key (case, spaces, line breaks, hyphens, O/0, I/1/L forgiven); canonical form. */
export function parseOnlineKey(input: unknown): Result<string> {
  if (typeof input !== 'string') return fail('MALFORMED', 'The online key must be text.');
  if (input.includes('.') || /tessera-/i.test(input)) {
    return fail('WRONG_KIND', 'This is a signed document (an offline key or a code), not an online key of 5 groups of 5 characters.');
  }
  const read = readSymbols(input);
  if (!read.ok) {
    return fail(
      'MALFORMED',
      `"${read.badChar}" (character ${read.position}) cannot be in an online key; keys use the digits and the letters A-Z without U.`,
    );
  }
  const { symbols } = read;
  if (symbols.length === 0) return fail('MALFORMED', 'The online key is empty: nothing was pasted.');
  if (symbols.length === LMID_LENGTH && isCodeword(symbols)) {
    return fail(
      'WRONG_KIND',
      "This is an LMID (a License Manager's identity), not a license key. Paste the key the License Center shows for your license.",
    );
  }
  if (symbols.length !== ONLINE_KEY_LENGTH) {
    return fail(
      'MALFORMED',
      `An online key has ${ONLINE_KEY_LENGTH} characters (5 groups of 5); this has ${symbols.length}. Copy it again from the License Center.`,
    );
  }
  if (!isCodeword(symbols)) {
    return fail(
      'CHECKSUM_MISMATCH',
      'This online key has a typo: its check character does not match. Copy it again from the License Center.',
    );
  }
  return ok(symbolsToText(symbols, 5));
}

/** The key as shown by `info` and in logs' place: every group hidden but the last. */
export function maskOnlineKey(canonicalKey: string): string {
  return canonicalKey.replace(/[^-](?=.*-)/g, '*');
}
