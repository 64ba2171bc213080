/**
 * The LMID: a License Manager's identity, derived from its own Ed25519 public key and a digest of its host
 * fingerprint, so a data directory copied to another host shows another LMID. Shown as four groups of four
 * Crockford symbols, the last symbol a check (`QPDH-7K2M-W8RT-0C4X`).
 */
import { bytesToSymbols, checkSymbol, isCodeword, readSymbols, symbolsToText } from './base32.js';
import { sha256 } from './crypto.js';
import { fail, ok } from './result.js';
import type { Result } from './result.js';

const DATA_SYMBOLS = 15; // 75 bits of the identity digest
export const LMID_LENGTH = DATA_SYMBOLS + 1;

/**
 * The digest of a host fingerprint (machine id, or an installation id kept in the data path). Only the digest
 * leaves the host: request codes carry it so the vendor can re-derive the LMID without learning the machine id.
 */
export function fingerprintDigest(fingerprint: string): Uint8Array {
  return sha256('tessera/fingerprint/', fingerprint);
}

/** Derives the LMID from a License Manager's raw public key and its fingerprint digest. */
export function deriveLmid(publicKeyRaw: Uint8Array, hostDigest: Uint8Array): string {
  const data = bytesToSymbols(sha256('tessera/lmid/', publicKeyRaw, hostDigest), DATA_SYMBOLS);
  return symbolsToText([...data, checkSymbol(data)], 4);
}

/**
 * Reads a typed LMID, forgiving case, spaces, missing or extra hyphens, O/0 and I/1/L; returns its canonical
 * form. A mistyped character or a swap of neighbours is caught by the check symbol.
 */
export function parseLmid(input: unknown): Result<string> {
  if (typeof input !== 'string') return fail('MALFORMED', 'The LMID must be text.');
  const read = readSymbols(input);
  if (!read.ok) {
    return fail(
      'MALFORMED',
      `"${read.badChar}" (character ${read.position}) cannot be in an LMID; an LMID uses the digits and the letters A-Z without U.`,
    );
  }
  const { symbols } = read;
  if (symbols.length === 0) return fail('MALFORMED', 'The LMID is empty.');
  if (symbols.length !== LMID_LENGTH) {
    return fail(
      'MALFORMED',
      `An LMID has ${LMID_LENGTH} characters (four groups of four); this has ${symbols.length}. Copy it from "tessera-lm info".`,
    );
  }
  if (!isCodeword(symbols)) {
    return fail(
      'CHECKSUM_MISMATCH',
      'This LMID has a typo: its check character does not match. Compare it with "tessera-lm info" character by character.',
    );
  }
  return ok(symbolsToText(symbols, 4));
}
