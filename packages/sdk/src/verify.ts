/**
 * What the SDK checks itself rather than taking the LM's word for it: that the LM's LMID derives from the public
 * key it shows, that a seat's lease token is signed by that key and is for this very lease, and (with the
 * vendor's trust bundle) that the license is the vendor's and is bound to that LM and this product.
 */
import { decodeBase64Url, deriveLmid, parseEnvelope, parseIsoTime, publicKeyFromRaw, readLicense, verifyEnvelope } from '@tessera/core';
import type { KeyObject, TrustBundle } from '@tessera/core';
import type { LicenseAnswer } from './lm-client.js';

export type Checked<T> = { ok: true; value: T } | { ok: false; code: string; detail: string };

/** The LM's identity as shown by GET /v1/license, checked to belong together. */
export interface LmIdentity {
  lmid: string;
  publicKey: KeyObject;
}

/** The parts of the license a product reads. */
export interface LicenseFacts {
  licenseId: string;
  serial: number;
  product: string;
  lmid: string;
  expiresAt: string;
  features: string[];
  limits: Record<string, number>;
  nodes: Record<string, number>;
}

/** How far this host's clock may be behind the LM's before a fresh token looks expired (as the LM's own default). */
export const CLOCK_TOLERANCE_MS = 10 * 60_000;

const invalidToken = (detail: string): Checked<never> => ({ ok: false, code: 'LEASE_TOKEN_INVALID', detail });

export function checkIdentity(answer: LicenseAnswer): Checked<LmIdentity> {
  const raw = decodeBase64Url(answer.lmPublicKey);
  const digest = decodeBase64Url(answer.hostDigest);
  const publicKey = raw ? publicKeyFromRaw(raw) : null;
  if (!raw || !digest || !publicKey) return invalidToken('The License Manager shows a public key that is not a usable Ed25519 key.');
  if (deriveLmid(raw, digest) !== answer.lmid) {
    return invalidToken(`The License Manager calls itself ${answer.lmid}, but that LMID does not derive from the key it shows.`);
  }
  return { ok: true, value: { lmid: answer.lmid, publicKey } };
}

/**
 * The license the LM serves. With a trust bundle it is verified (vendor key, signature, fields) and must be bound
 * to this LM and product; without one its fields are read as the LM sent them (the LM verified it on load).
 */
export function readLicenseFacts(text: string, trust: TrustBundle | null, lmid: string, product: string): Checked<LicenseFacts> {
  if (trust) {
    const license = readLicense(text, trust);
    if (!license.ok)
      return {
        ok: false,
        code: license.code,
        detail: `The license at the License Manager does not verify with the trust bundle: ${license.detail}`,
      };
    const l = license.value;
    if (l.lmid !== lmid) {
      return {
        ok: false,
        code: 'LMID_MISMATCH',
        detail: `The license is bound to License Manager ${l.lmid}, but the one at this address is ${lmid}.`,
      };
    }
    if (l.product !== product)
      return { ok: false, code: 'PRODUCT_MISMATCH', detail: `The License Manager holds a license for ${l.product}, not for ${product}.` };
    return ok(l.id, l.serial, l.product, l.lmid, l.expiresAt, [...l.features], { ...l.limits }, { ...l.nodes });
  }
  const envelope = parseEnvelope(text, 'license');
  if (!envelope.ok)
    return { ok: false, code: envelope.code, detail: `The License Manager serves a license that cannot be read: ${envelope.detail}` };
  const p = envelope.value.payload;
  if (
    typeof p.id !== 'string' ||
    typeof p.serial !== 'number' ||
    typeof p.product !== 'string' ||
    typeof p.lmid !== 'string' ||
    typeof p.expiresAt !== 'string'
  ) {
    return { ok: false, code: 'MALFORMED', detail: 'The License Manager serves a license without id, serial, product, lmid or expiresAt.' };
  }
  return ok(p.id, p.serial, p.product, p.lmid, p.expiresAt, stringList(p.features), counts(p.limits), counts(p.nodes));
}

function ok(
  licenseId: string,
  serial: number,
  product: string,
  lmid: string,
  expiresAt: string,
  features: string[],
  limits: Record<string, number>,
  nodes: Record<string, number>,
): Checked<LicenseFacts> {
  return { ok: true, value: { licenseId, serial, product, lmid, expiresAt, features, limits, nodes } };
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function counts(value: unknown): Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
}

export interface ExpectedToken {
  /** The LM identity the lease was taken under (or that the controller reads from the LM). */
  identity: LmIdentity;
  /** Payload fields that must be exactly these values (product always; leaseId, role, nodeId, instance, ...). */
  fields: Record<string, string>;
  /** This host's clock, for the "not expired" check. */
  now: number;
}

/** What a verified lease token says. */
export interface LeaseTokenFacts {
  leaseId: string;
  role: string;
  nodeId: string;
  lmid: string;
  /** When the LM signed it (its clock, ms): a renewal counts only with a later one than the last accepted. */
  issuedAt: number;
  expiresAt: string;
  /** The lease's lifetime as the LM signed it. */
  ttlMs: number;
}

/**
 * Verifies a lease token (from a checkout, a heartbeat, or handed on by a node): signed by the LM's key with its
 * LMID as kid, for these fields, and not expired by this host's clock (within CLOCK_TOLERANCE_MS of skew).
 */
export function verifyLeaseToken(token: string, expected: ExpectedToken): Checked<LeaseTokenFacts> {
  const envelope = parseEnvelope(token, 'lease');
  if (!envelope.ok) return invalidToken(`The seat lease token cannot be read: ${envelope.detail}`);
  const { lmid, publicKey } = expected.identity;
  if (envelope.value.kid !== lmid)
    return invalidToken(`The seat lease token was signed by ${envelope.value.kid}, not by License Manager ${lmid}.`);
  if (!verifyEnvelope(envelope.value, publicKey))
    return invalidToken("The seat lease token's signature does not match the License Manager's key.");
  const p = envelope.value.payload;
  for (const [field, value] of Object.entries({ lmid, ...expected.fields })) {
    if (p[field] !== value) return invalidToken(`The seat lease token is for another ${field} (${String(p[field])}, expected ${value}).`);
  }
  if (typeof p.leaseId !== 'string' || typeof p.role !== 'string' || typeof p.nodeId !== 'string')
    return invalidToken('The seat lease token names no leaseId, role or nodeId.');
  const issuedAt = parseIsoTime(p.issuedAt);
  const expiresAt = parseIsoTime(p.expiresAt);
  if (issuedAt === null || expiresAt === null || expiresAt <= issuedAt)
    return invalidToken('The seat lease token has no valid issuedAt and expiresAt.');
  if (expiresAt + CLOCK_TOLERANCE_MS < expected.now) {
    return invalidToken(
      `The seat lease token expired at ${new Date(expiresAt).toISOString()}, by this host's clock (${new Date(expected.now).toISOString()}): it is an old token, or the clocks of this host and the License Manager's host differ by more than 10 minutes.`,
    );
  }
  return {
    ok: true,
    value: {
      leaseId: p.leaseId,
      role: p.role,
      nodeId: p.nodeId,
      lmid,
      issuedAt,
      expiresAt: new Date(expiresAt).toISOString(),
      ttlMs: expiresAt - issuedAt,
    },
  };
}

/** True when two identities are the same LM (LMID and public key). */
export function sameIdentity(a: LmIdentity, b: LmIdentity): boolean {
  return a.lmid === b.lmid && a.publicKey.equals(b.publicKey);
}
