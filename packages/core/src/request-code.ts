/**
 * Request codes (NeuVector style): an LM asks the vendor for an offline key by a code the customer copies and
 * mails or pastes. Signed by the LM's own key as typ "request"; valid only if the LMID derives from the key and
 * host digest it carries, so nobody can ask for a key bound to an LMID whose private key they do not hold.
 */
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { publicKeyFromRaw, rawPublicKey } from './crypto.js';
import type { KeyObject } from './crypto.js';
import { parseEnvelope, sealEnvelope, verifyEnvelope } from './envelope.js';
import { checkCounts, checkFeatures, checkName, checkText, checkWholeNumber, isPlainObject } from './fields.js';
import { deriveLmid } from './lmid.js';
import { fail, ok } from './result.js';
import type { Result } from './result.js';
import { parseIsoTime } from './time.js';

/** What the host tells the vendor about itself: the fingerprint digest and a human summary. */
export interface HostSummary {
  /** base64url SHA-256 digest of the host fingerprint (see fingerprintDigest). */
  readonly fingerprintDigest: string;
  readonly hostname: string;
  readonly os: string;
  readonly lmVersion: string;
}

export interface Contact {
  readonly name: string;
  readonly email: string;
  readonly phone: string;
}

export interface RequestCodeBody {
  readonly lmid: string;
  /** base64url raw Ed25519 public key of the LM. */
  readonly lmPublicKey: string;
  readonly host: HostSummary;
  readonly contact: Contact;
  /** The product asked for, when the LM knows it. */
  readonly product: string | null;
  readonly nodes: Readonly<Record<string, number>>;
  readonly limits: Readonly<Record<string, number>>;
  readonly features: readonly string[];
  readonly months: number;
  readonly createdAt: string;
  /**
   * The LM's clock high-water mark when it made the code (null in codes of LMs before it was added). A vendor-signed
   * clock reset (clock-reset.ts) answers this very value, so it cannot be replayed once the mark has moved.
   */
  readonly highWater: string | null;
}

export interface RequestCode extends RequestCodeBody {
  readonly text: string;
}

/** The LM's identity as request codes need it. */
export interface LmSigner {
  readonly privateKey: KeyObject;
  readonly hostDigest: Uint8Array;
}

export type RequestCodeInput = Omit<RequestCodeBody, 'lmid' | 'lmPublicKey' | 'host' | 'highWater'> & {
  readonly host: Omit<HostSummary, 'fingerprintDigest'>;
  readonly highWater?: string | null;
};

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^[0-9+() .-]{0,40}$/;

/** Makes a request code signed by the LM's key; its LMID and host digest come from the signer. */
export function createRequestCode(input: RequestCodeInput, lm: LmSigner): Result<string> {
  const publicKeyRaw = rawPublicKey(lm.privateKey);
  const lmid = deriveLmid(publicKeyRaw, lm.hostDigest);
  const body: RequestCodeBody = {
    lmid,
    lmPublicKey: encodeBase64Url(publicKeyRaw),
    host: { ...input.host, fingerprintDigest: encodeBase64Url(lm.hostDigest) },
    contact: { name: input.contact.name, email: input.contact.email, phone: input.contact.phone },
    product: input.product,
    nodes: input.nodes,
    limits: input.limits,
    features: input.features,
    months: input.months,
    createdAt: input.createdAt,
    highWater: input.highWater ?? null,
  };
  const checked = readRequestFields(body as unknown as Record<string, unknown>);
  if (!checked.ok) return checked;
  // Written only when known, so a code without it reads (and signs) exactly as before the field existed.
  const { highWater, ...rest } = checked.value;
  return ok(sealEnvelope('request', { kid: lmid, privateKey: lm.privateKey }, highWater === null ? rest : { ...rest, highWater }));
}

/** Reads a pasted request code: structure, fields, the LM's own signature, and that the LMID derives from its key. */
export function readRequestCode(input: unknown): Result<RequestCode> {
  const envelope = parseEnvelope(input, 'request');
  if (!envelope.ok) return envelope;
  const fields = readRequestFields(envelope.value.payload);
  if (!fields.ok) return fields;
  const body = fields.value;
  const publicKeyRaw = decodeBase64Url(body.lmPublicKey);
  const publicKey = publicKeyRaw ? publicKeyFromRaw(publicKeyRaw) : null;
  const hostDigest = decodeBase64Url(body.host.fingerprintDigest);
  if (!publicKeyRaw || !publicKey || !hostDigest || hostDigest.length !== 32) {
    return fail('MALFORMED', 'The request code is damaged: the License Manager key or host digest in it is unreadable.');
  }
  if (!verifyEnvelope(envelope.value, publicKey)) {
    return fail(
      'SIGNATURE_INVALID',
      'This request code was altered or damaged: its signature does not match. Ask for it again, copied whole.',
    );
  }
  if (envelope.value.kid !== body.lmid || deriveLmid(publicKeyRaw, hostDigest) !== body.lmid) {
    return fail('LMID_MISMATCH', 'This request code names an LMID that does not belong to the License Manager key that signed it.');
  }
  return ok({ ...body, text: envelope.value.text });
}

function readRequestFields(p: Record<string, unknown>): Result<RequestCodeBody> {
  const host = isPlainObject(p.host) ? p.host : {};
  const contact = isPlainObject(p.contact) ? p.contact : {};
  const problem =
    checkText(p.lmid, 'lmid', 32) ??
    checkText(p.lmPublicKey, 'lmPublicKey', 64) ??
    (isPlainObject(p.host) ? null : 'host must be an object.') ??
    checkText(host.fingerprintDigest, 'host fingerprint digest', 64) ??
    checkText(host.hostname, 'host name', 253, false) ??
    checkText(host.os, 'host os', 100, false) ??
    checkText(host.lmVersion, 'LM version', 50, false) ??
    (isPlainObject(p.contact) ? null : 'contact must be an object.') ??
    checkText(contact.name, 'contact name', 200) ??
    checkText(contact.email, 'contact email', 254) ??
    (EMAIL.test(contact.email as string) ? null : `contact email "${String(contact.email)}" is not an email address.`) ??
    checkText(contact.phone, 'contact phone', 40, false) ??
    (PHONE.test(contact.phone as string) ? null : 'contact phone may hold only digits, spaces and + ( ) . -') ??
    (p.product === null ? null : checkName(p.product, 'product')) ??
    checkCounts(p.nodes, 'nodes', false) ??
    checkCounts(p.limits, 'limits', true) ??
    checkFeatures(p.features, 'features') ??
    checkWholeNumber(p.months, 'months', 1, 120) ??
    (parseIsoTime(p.createdAt) === null ? 'createdAt must be an ISO 8601 UTC time.' : null) ??
    (p.highWater === undefined || p.highWater === null || parseIsoTime(p.highWater) !== null
      ? null
      : 'highWater must be an ISO 8601 UTC time.');
  if (problem) return fail('MALFORMED', `The request code is not valid: ${problem}`);
  return ok({
    lmid: p.lmid as string,
    lmPublicKey: p.lmPublicKey as string,
    host: {
      fingerprintDigest: host.fingerprintDigest as string,
      hostname: host.hostname as string,
      os: host.os as string,
      lmVersion: host.lmVersion as string,
    },
    contact: { name: contact.name as string, email: contact.email as string, phone: contact.phone as string },
    product: p.product as string | null,
    nodes: p.nodes as Record<string, number>,
    limits: p.limits as Record<string, number>,
    features: p.features as string[],
    months: p.months as number,
    createdAt: p.createdAt as string,
    highWater: (p.highWater as string | undefined) ?? null,
  });
}
