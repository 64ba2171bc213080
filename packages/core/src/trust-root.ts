/**
 * Trust rooted in the product (DESIGN decision 8). The vendor has a root key; its public half is a constant
 * compiled into each product. The root signs trust bundles: the vendor's signing keys and their states, with a
 * serial that grows with every change. A product accepts a license only if the key that signed it is in a bundle
 * signed by one of the roots it was built with, so a key a customer makes and adds to a file vouches for nothing.
 * Signing keys rotate without a product rebuild (a new bundle); a new root needs one (docs/trust.md).
 */
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { bytesToSymbols, symbolsToText } from './base32.js';
import { publicKeyFromRaw, sha256 } from './crypto.js';
import type { KeyObject } from './crypto.js';
import { parseEnvelope, sealEnvelope, verifyEnvelope } from './envelope.js';
import type { Signer } from './envelope.js';
import { checkWholeNumber, describeValue } from './fields.js';
import { bundleKeysJson, parseTrustBundle, readBundleKeys } from './keyring.js';
import type { TrustBundle, TrustBundleEntry } from './keyring.js';
import { fail, ok } from './result.js';
import type { Result } from './result.js';
import { parseIsoTime } from './time.js';

/** A root public key as a product holds it. */
export interface TrustRoot {
  readonly kid: string;
  readonly publicKeyRaw: Uint8Array;
  readonly publicKey: KeyObject;
}

/** A trust bundle whose root signature has been checked against the product's roots. */
export interface SignedTrustBundle extends TrustBundle {
  /** Grows with every change of the vendor's keys: a product never goes back to a lower one. */
  readonly serial: number;
  readonly issuedAt: string;
  /** The root that signed it. */
  readonly rootKid: string;
  /** The canonical one-line document. */
  readonly text: string;
}

const ROOT_PREFIX = 'tessera-root:';

/** The kid of a root key: "r" and 12 Crockford symbols of its SHA-256 (a signing key's kid starts with "k"). */
export function rootKidForPublicKey(publicKeyRaw: Uint8Array): string {
  return 'r' + symbolsToText(bytesToSymbols(sha256('tessera/root/', publicKeyRaw), 12), 12);
}

/** The text a vendor compiles into its products: "tessera-root:" and the raw public key in base64url. */
export function formatTrustRoot(publicKeyRaw: Uint8Array): string {
  return ROOT_PREFIX + encodeBase64Url(publicKeyRaw);
}

/** Reads a root public key from its text (as formatTrustRoot writes it). */
export function parseTrustRoot(input: unknown): Result<TrustRoot> {
  const text = typeof input === 'string' ? input.trim() : '';
  if (!text.startsWith(ROOT_PREFIX)) {
    return fail('MALFORMED', `A trust root must be the text "${ROOT_PREFIX}…" that tessera-center trust-root prints.`);
  }
  const raw = decodeBase64Url(text.slice(ROOT_PREFIX.length));
  const publicKey = raw?.length === 32 ? publicKeyFromRaw(raw) : null;
  if (!raw || !publicKey) return fail('MALFORMED', 'The trust root is damaged: it is not an Ed25519 public key. Copy it again.');
  return ok({ kid: rootKidForPublicKey(raw), publicKeyRaw: raw, publicKey });
}

/** One root or several (during a root rotation a product is built with the old and the new one). */
export function parseTrustRoots(input: string | readonly string[]): Result<TrustRoot[]> {
  const texts = typeof input === 'string' ? [input] : input;
  if (texts.length === 0) return fail('MALFORMED', 'At least one trust root is needed.');
  const roots: TrustRoot[] = [];
  for (const text of texts) {
    const root = parseTrustRoot(text);
    if (!root.ok) return root;
    roots.push(root.value);
  }
  return ok(roots);
}

/**
 * A root's endorsement of the root made after it (typ 'root'): "this root is my successor". Products never follow
 * endorsements (they trust the roots they were built with, no more); a License Manager does, so that an online one
 * follows a root rotation by itself: its trust file names the old root, and the bundles signed by the new one carry
 * the chain from it.
 */
export function endorseRoot(successor: string, by: Signer): string {
  return sealEnvelope('root', by, { root: successor.trim() });
}

/**
 * Signs a trust bundle with the vendor's root key (kid: the root's kid), with the chain of endorsements from the
 * first root to it when there is one.
 */
export function signTrustBundle(
  input: { serial: number; issuedAt: string; keys: readonly TrustBundleEntry[]; endorsements?: readonly string[] },
  root: Signer,
): string {
  const body = { serial: input.serial, issuedAt: input.issuedAt, keys: bundleKeysJson(input.keys) };
  return sealEnvelope('trust', root, input.endorsements?.length ? { ...body, endorsements: [...input.endorsements] } : body);
}

/** `roots` and every root a chain of `endorsements` from them vouches for. */
function followEndorsements(roots: readonly TrustRoot[], endorsements: unknown): readonly TrustRoot[] {
  if (!Array.isArray(endorsements)) return roots;
  const trusted = [...roots];
  for (let grown = true; grown;) {
    grown = false;
    for (const text of endorsements.slice(0, 16)) {
      const envelope = parseEnvelope(text, 'root');
      const by = envelope.ok ? trusted.find((r) => r.kid === envelope.value.kid) : undefined;
      if (!envelope.ok || !by || !verifyEnvelope(envelope.value, by.publicKey)) continue;
      const root = parseTrustRoot(envelope.value.payload.root);
      if (root.ok && !trusted.some((r) => r.kid === root.value.kid)) {
        trusted.push(root.value);
        grown = true;
      }
    }
  }
  return trusted;
}

/**
 * Reads a root-signed trust bundle: structure, that one of `roots` signed it (UNTRUSTED_ROOT otherwise), the
 * signature, then the keys. With `followEndorsements` (a License Manager, never a product) a root the bundle's
 * endorsements chain to from `roots` counts too. Never throws.
 */
export function readSignedTrustBundle(
  input: unknown,
  roots: readonly TrustRoot[],
  options: { followEndorsements?: boolean } = {},
): Result<SignedTrustBundle> {
  const envelope = parseEnvelope(input, 'trust');
  if (!envelope.ok) return envelope;
  if (options.followEndorsements) roots = followEndorsements(roots, envelope.value.payload.endorsements);
  const root = roots.find((r) => r.kid === envelope.value.kid);
  if (!root) {
    return fail(
      'UNTRUSTED_ROOT',
      `This trust bundle is signed by root ${envelope.value.kid}, which is not a root this product was built with (${roots.map((r) => r.kid).join(', ')}): it is not the vendor's.`,
    );
  }
  if (!verifyEnvelope(envelope.value, root.publicKey)) {
    return fail('SIGNATURE_INVALID', "This trust bundle was altered: its signature does not match the vendor's root key.");
  }
  const p = envelope.value.payload;
  const problem = checkWholeNumber(p.serial, 'serial', 1, Number.MAX_SAFE_INTEGER);
  if (problem) return fail('MALFORMED', `The trust bundle is not valid: ${problem}`);
  if (parseIsoTime(p.issuedAt) === null) return fail('MALFORMED', 'The trust bundle is not valid: issuedAt must be an ISO 8601 UTC time.');
  const keys = readBundleKeys(p.keys);
  if (!keys.ok) return keys;
  return ok({ keys: keys.value, serial: p.serial as number, issuedAt: p.issuedAt as string, rootKid: root.kid, text: envelope.value.text });
}

/** What a trust file holds: the root-signed bundle, or (written before roots existed) a plain one. */
export type TrustFile =
  | { readonly kind: 'signed'; readonly roots: readonly TrustRoot[]; readonly bundle: SignedTrustBundle }
  | { readonly kind: 'legacy'; readonly bundle: TrustBundle };

const FILE_FORMAT = 'tessera-trust-bundle';

/**
 * The trust file the License Center serves (GET /v1/trust-bundle, `tessera-center trust-bundle`) and a License
 * Manager reads (`trust:` in its YAML): format version 2, the vendor's published roots and the root-signed bundle.
 */
export function serializeTrustFile(rootTexts: readonly string[], bundleText: string): string {
  return JSON.stringify({ format: FILE_FORMAT, v: 2, roots: rootTexts, bundle: bundleText }, null, 2) + '\n';
}

/**
 * Reads a trust file. Version 2: the bundle must verify with `pinned` roots when given (a License Manager's
 * `trustRoot` setting: a file can narrow trust, never widen it), else with the roots the file names. Version 1 (the
 * plain bundle of earlier releases) still reads, as 'legacy': products built with a root refuse what it vouches for.
 */
export function readTrustFile(
  text: string,
  pinned: readonly TrustRoot[] | null = null,
  options: { followEndorsements?: boolean } = {},
): Result<TrustFile> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('MALFORMED', 'The trust file is not valid JSON.');
  }
  const file = json as { format?: unknown; v?: unknown; roots?: unknown; bundle?: unknown };
  if (typeof json !== 'object' || json === null || file.format !== FILE_FORMAT) {
    return fail('MALFORMED', `The trust file must be a JSON object with "format": "${FILE_FORMAT}".`);
  }
  if (file.v === 1) {
    const legacy = parseTrustBundle(text);
    return legacy.ok ? ok({ kind: 'legacy', bundle: legacy.value }) : legacy;
  }
  if (file.v !== 2) return fail('UNSUPPORTED_VERSION', `The trust file has version ${describeValue(file.v)}; this software reads 1 and 2.`);
  if (!Array.isArray(file.roots) || !file.roots.every((r) => typeof r === 'string')) {
    return fail('MALFORMED', 'The trust file must list its roots ("roots": ["tessera-root:…"]).');
  }
  const named = parseTrustRoots(file.roots as string[]);
  if (!named.ok) return fail(named.code, `The trust file's roots cannot be read: ${named.detail}`);
  const roots = pinned ?? named.value;
  const bundle = readSignedTrustBundle(file.bundle, roots, options);
  return bundle.ok ? ok({ kind: 'signed', roots, bundle: bundle.value }) : bundle;
}
