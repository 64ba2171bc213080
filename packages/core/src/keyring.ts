/**
 * Vendor signing keys and the trust bundle License Managers are configured with. Keys rotate: each has a kid and
 * a state. An active key signs; a retired key no longer signs but what it signed still verifies; a revoked key's
 * documents are refused.
 */
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { bytesToSymbols, symbolsToText } from './base32.js';
import { generateEd25519, privateKeyFromSeed, publicKeyFromRaw, rawPublicKey, rawSeed, sha256 } from './crypto.js';
import type { KeyObject } from './crypto.js';
import { DOCUMENT_NAMES, parseEnvelope, verifyEnvelope } from './envelope.js';
import type { DocumentType, Envelope, Signer } from './envelope.js';
import { describeValue } from './fields.js';
import { fail, ok } from './result.js';
import type { Failure, Result } from './result.js';

export type VendorKeyState = 'active' | 'retired' | 'revoked';
const KEY_STATES: readonly VendorKeyState[] = ['active', 'retired', 'revoked'];
const KID = /^[A-Za-z0-9_-]{1,64}$/;
const BUNDLE_FORMAT = 'tessera-trust-bundle';

export interface TrustedKey {
  readonly kid: string;
  readonly state: VendorKeyState;
  readonly publicKeyRaw: Uint8Array;
  /** Built once when the bundle is read: building a KeyObject costs as much as the rest of a parse. */
  readonly publicKey: KeyObject;
}

export interface TrustBundle {
  readonly keys: ReadonlyMap<string, TrustedKey>;
}

/** A vendor signing key (private). */
export interface SigningKey extends Signer {
  readonly publicKeyRaw: Uint8Array;
}

/** The key id for a public key: "k" and 12 Crockford symbols of its SHA-256, stable across exports. */
export function kidForPublicKey(publicKeyRaw: Uint8Array): string {
  return 'k' + symbolsToText(bytesToSymbols(sha256('tessera/kid/', publicKeyRaw), 12), 12);
}

export function generateSigningKey(): SigningKey {
  const { privateKey } = generateEd25519();
  const publicKeyRaw = rawPublicKey(privateKey);
  return { kid: kidForPublicKey(publicKeyRaw), privateKey, publicKeyRaw };
}

/** Rebuilds a signing key from its stored 32-byte seed (the LC keeps seeds encrypted at rest). */
export function signingKeyFromSeed(seed: Uint8Array, kid?: string): Result<SigningKey> {
  const privateKey = privateKeyFromSeed(seed);
  if (!privateKey) return fail('MALFORMED', 'A signing key seed must be 32 bytes.');
  const publicKeyRaw = rawPublicKey(privateKey);
  return ok({ kid: kid ?? kidForPublicKey(publicKeyRaw), privateKey, publicKeyRaw });
}

export function signingKeySeed(key: SigningKey): Uint8Array {
  return rawSeed(key.privateKey);
}

export interface TrustBundleEntry {
  readonly kid: string;
  readonly state: VendorKeyState;
  readonly publicKeyRaw: Uint8Array;
}

/** The JSON text of a trust bundle, as LC prints it with `trust-bundle` and LMs read it from `trust:`. */
export function serializeTrustBundle(entries: readonly TrustBundleEntry[]): string {
  return JSON.stringify({ format: BUNDLE_FORMAT, v: 1, keys: bundleKeysJson(entries) }, null, 2) + '\n';
}

/** Reads a trust bundle from its JSON text. Every problem is reported with the entry it is in. */
export function parseTrustBundle(text: string): Result<TrustBundle> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('MALFORMED', 'The trust bundle is not valid JSON.');
  }
  const bundle = json as { format?: unknown; v?: unknown; keys?: unknown };
  if (typeof json !== 'object' || json === null || bundle.format !== BUNDLE_FORMAT) {
    return fail('MALFORMED', `The trust bundle must be a JSON object with "format": "${BUNDLE_FORMAT}".`);
  }
  if (bundle.v !== 1)
    return fail('UNSUPPORTED_VERSION', `The trust bundle has version ${describeValue(bundle.v)}; this software reads version 1.`);
  const keys = readBundleKeys(bundle.keys);
  return keys.ok ? ok({ keys: keys.value }) : keys;
}

/** The keys list of a trust bundle (plain or root-signed), each entry checked. */
export function readBundleKeys(list: unknown): Result<ReadonlyMap<string, TrustedKey>> {
  if (!Array.isArray(list) || list.length === 0) return fail('MALFORMED', 'The trust bundle lists no keys.');
  if (list.length > 256) return fail('MALFORMED', 'The trust bundle lists too many keys (at most 256).');
  const keys = new Map<string, TrustedKey>();
  for (const [index, entry] of (list as unknown[]).entries()) {
    const key = readEntry(entry, index);
    if (!key.ok) return key;
    if (keys.has(key.value.kid)) return fail('MALFORMED', `The trust bundle lists kid ${key.value.kid} twice.`);
    keys.set(key.value.kid, key.value);
  }
  return ok(keys);
}

/** The JSON form of bundle entries, as both bundle formats carry them. */
export function bundleKeysJson(
  entries: readonly TrustBundleEntry[],
): { kid: string; alg: 'Ed25519'; state: VendorKeyState; publicKey: string }[] {
  return entries.map((e) => ({ kid: e.kid, alg: 'Ed25519', state: e.state, publicKey: encodeBase64Url(e.publicKeyRaw) }));
}

function readEntry(entry: unknown, index: number): Result<TrustedKey> {
  const where = `Trust bundle key #${index + 1}`;
  if (typeof entry !== 'object' || entry === null) return fail('MALFORMED', `${where} is not an object.`);
  const e = entry as Record<string, unknown>;
  if (typeof e.kid !== 'string' || !KID.test(e.kid)) return fail('MALFORMED', `${where} has no valid kid.`);
  if (e.alg !== 'Ed25519') return fail('MALFORMED', `${where} (${e.kid}) has alg ${describeValue(e.alg)}; only Ed25519 is supported.`);
  if (!KEY_STATES.includes(e.state as VendorKeyState)) {
    return fail('MALFORMED', `${where} (${e.kid}) has state ${describeValue(e.state)}; it must be active, retired or revoked.`);
  }
  const raw = typeof e.publicKey === 'string' ? decodeBase64Url(e.publicKey) : null;
  const publicKey = raw ? publicKeyFromRaw(raw) : null;
  if (!raw || !publicKey) return fail('MALFORMED', `${where} (${e.kid}) has no valid Ed25519 public key.`);
  return ok({ kid: e.kid, state: e.state as VendorKeyState, publicKeyRaw: raw, publicKey });
}

/** The key that may verify documents signed as `kid`, or why none may. */
export function verifyingKey(bundle: TrustBundle, kid: string, what: string): Result<TrustedKey> {
  const key = bundle.keys.get(kid);
  if (!key) return untrusted(kid, what);
  if (key.state === 'revoked') {
    return fail('KEY_REVOKED', `This ${what} was signed by vendor key ${kid}, which has been revoked. Ask the vendor for a new key.`);
  }
  return ok(key);
}

function untrusted(kid: string, what: string): Failure {
  return fail(
    'UNKNOWN_KEY',
    `This ${what} was signed by a vendor key this License Manager does not trust (kid ${kid}). Check that the trust bundle in its configuration is the vendor's current one.`,
  );
}

/**
 * Opens a vendor-signed document (license, sync answer): structure, then the signing key's trust, then the
 * signature. The fields inside are for the caller to check.
 */
export function openVendorDocument(input: unknown, typ: DocumentType, trust: TrustBundle): Result<Envelope> {
  const envelope = parseEnvelope(input, typ);
  if (!envelope.ok) return envelope;
  const name = DOCUMENT_NAMES[typ];
  const key = verifyingKey(trust, envelope.value.kid, name);
  if (!key.ok) return key;
  if (!verifyEnvelope(envelope.value, key.value.publicKey)) {
    return fail(
      'SIGNATURE_INVALID',
      `This ${name} was altered or damaged: its signature does not match. Copy it again from the License Center.`,
    );
  }
  return envelope;
}
