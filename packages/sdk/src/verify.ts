/**
 * What the SDK checks itself rather than taking the LM's word for it: that the LM's LMID derives from the public
 * key it shows, and that a seat's lease token is signed by that key, is for this very lease and names the license
 * the SDK verified. (The license chain itself: license-answer.ts.)
 */
import { decodeBase64Url, deriveLmid, parseEnvelope, parseIsoTime, publicKeyFromRaw, verifyEnvelope } from '@tessera/core';
import type { KeyObject, License } from '@tessera/core';
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
  /** The signed outage grace (0: strict). */
  outageGraceHours: number;
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

/** The parts of a verified license a product reads. */
export function licenseFacts(license: License): LicenseFacts {
  return {
    licenseId: license.id,
    serial: license.serial,
    product: license.product,
    lmid: license.lmid,
    expiresAt: license.expiresAt,
    features: [...license.features],
    limits: { ...license.limits },
    nodes: { ...license.nodes },
    outageGraceHours: license.outageGraceHours,
  };
}

/** A license as a signed answer or a lease token names it. */
export interface LicenseRef {
  id: string;
  serial: number;
}

export interface ExpectedToken {
  /** The LM identity the lease was taken under (or that the controller reads from the LM). */
  identity: LmIdentity;
  /** Payload fields that must be exactly these values (product always; leaseId, role, nodeId, instance, ...). */
  fields: Record<string, string>;
  /** The license verified at the LM: a token signed under another license or serial is not for this seat. */
  license: LicenseRef;
  /** This host's clock, for the "not expired" check. */
  now: number;
}

/** What a verified lease token says. */
export interface LeaseTokenFacts {
  leaseId: string;
  role: string;
  nodeId: string;
  lmid: string;
  licenseId: string;
  serial: number;
  /** When the LM signed it (its clock, ms): a renewal counts only with a later one than the last accepted. */
  issuedAt: number;
  expiresAt: string;
  /** The lease's lifetime as the LM signed it. */
  ttlMs: number;
}

/**
 * Verifies a lease token (from a checkout, a heartbeat, or handed on by a node): signed by the LM's key with its
 * LMID as kid, for these fields, signed under the license verified (id and serial), and not expired by this host's
 * clock (within CLOCK_TOLERANCE_MS of skew).
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
  const { id, serial } = expected.license;
  if (p.licenseId !== id || p.serial !== serial) {
    return invalidToken(
      `The seat lease token was signed under license ${String(p.licenseId)} serial ${String(p.serial)}, not under the license verified at the License Manager (${id} serial ${serial}).`,
    );
  }
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
      licenseId: id,
      serial,
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
