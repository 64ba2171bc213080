/**
 * The LM ↔ LC sync protocol's documents (docs/sync-protocol.md): the sync request an LM signs with its own key,
 * and the time token LC signs with a vendor key. Pure apart from core's crypto, so LC can check requests with the
 * very code the LM builds them with.
 *
 * A request holds no clock reading and no nonce, and Ed25519 signatures are deterministic: an LM whose state did
 * not change sends the same bytes again, so LC verifies the signature once and answers later copies from a cache
 * keyed by the request text's SHA-256. The one exception is `clockMark`, sent only while the LM's clock is behind
 * its high-water mark (a clock set ahead by mistake and set right): LC answers it with a clock reset naming that
 * exact mark, the only thing that moves a mark back online, so a recorded answer replayed later cannot.
 */
import { NAME } from './fields.js';
import { decodeBase64Url, encodeBase64Url } from './base64url.js';
import { publicKeyFromRaw, rawPublicKey } from './crypto.js';
import type { KeyObject } from './crypto.js';
import { parseEnvelope, sealEnvelope, verifyEnvelope } from './envelope.js';
import type { Signer } from './envelope.js';
import { deriveLmid } from './lmid.js';
import { parseOnlineKey } from './online-key.js';
import { parseIsoTime } from './time.js';
import { fail, ok } from './result.js';
import type { Result } from './result.js';

export const SYNC_PATH = '/v1/lm/sync';
export const SYNC_REQUEST_MSG = 'sync-request';
export const TIME_MSG = 'time';

export interface SyncRequestInput {
  /** Canonical online key (core parseOnlineKey). */
  onlineKey: string;
  lmid: string;
  lmPublicKeyRaw: Uint8Array;
  hostDigest: Uint8Array;
  /** The license this LM holds, or null when it holds none yet. */
  known: { licenseId: string; serial: number } | null;
  /** Seats in use per role. */
  usage: Record<string, number>;
  lmVersion: string;
  host: { hostname: string; os: string };
  /** The LM's high-water mark (ISO time), only while its clock is behind it; omitted otherwise. */
  clockMark?: string | null;
}

/** A sync request whose shape, LMID derivation and signature have been checked. */
export interface SyncRequest {
  lmid: string;
  onlineKey: string;
  known: { licenseId: string; serial: number } | null;
  usage: Record<string, number>;
  lmVersion: string;
  host: { hostname: string; os: string };
  lmPublicKeyRaw: Uint8Array;
  hostDigest: Uint8Array;
  /** The mark the LM asks to have reset, or null. */
  clockMark: string | null;
}

const LICENSE_ID = /^lic_[A-Za-z0-9_-]{1,64}$/;
const MAX_USAGE_ROLES = 64;
const MAX_SEATS = 1_000_000;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * Signs a sync request with the LM's key. Throws a TypeError when the input breaks the documented limits or does
 * not belong to the key (a caller's bug, not a runtime condition); CenterClient.sync turns that into a result.
 */
export function buildSyncRequest(input: SyncRequestInput, lmPrivateKey: KeyObject): string {
  const body = {
    msg: SYNC_REQUEST_MSG,
    lmid: input.lmid,
    lmPublicKey: encodeBase64Url(input.lmPublicKeyRaw),
    hostDigest: encodeBase64Url(input.hostDigest),
    onlineKey: input.onlineKey,
    known: input.known === null ? null : { licenseId: input.known.licenseId, serial: input.known.serial },
    // Sorted, so the same usage always serialises to the same bytes whatever order the caller built it in.
    usage: Object.fromEntries(Object.entries(input.usage).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    lmVersion: input.lmVersion,
    host: { hostname: input.host.hostname, os: input.host.os },
    // Only when asked for: requests without it stay byte-identical, so LC's verdict cache keeps hitting.
    ...(input.clockMark ? { clockMark: input.clockMark } : {}),
  };
  const problem = checkRequestFields(body);
  if (problem) throw new TypeError(`Cannot build a sync request: ${problem}`);
  if (deriveLmid(input.lmPublicKeyRaw, input.hostDigest) !== input.lmid) {
    throw new TypeError('Cannot build a sync request: the LMID does not derive from the public key and host digest given.');
  }
  if (!sameBytes(rawPublicKey(lmPrivateKey), input.lmPublicKeyRaw)) {
    throw new TypeError('Cannot build a sync request: the private key does not match the public key given.');
  }
  return sealEnvelope('sync', { kid: input.lmid, privateKey: lmPrivateKey }, body);
}

/**
 * Reads a sync request as LC does: envelope shape, msg, fields, that the LMID (= kid) derives from the public key
 * and host digest inside, then the signature with that key. Whether the online key exists and is bound to this
 * LMID is LC's to check against its database. The verdict depends on the text alone, so it may be cached.
 */
export function readSyncRequest(text: unknown): Result<SyncRequest> {
  const envelope = parseEnvelope(text, 'sync');
  if (!envelope.ok) return envelope;
  const p = envelope.value.payload;
  if (p.msg !== SYNC_REQUEST_MSG) {
    return fail('MALFORMED', `This is not a sync request: its msg is ${JSON.stringify(p.msg)}, not "${SYNC_REQUEST_MSG}".`);
  }
  const problem = checkRequestFields(p);
  if (problem) return fail('MALFORMED', `The sync request is not valid: ${problem}`);
  const lmPublicKeyRaw = new Uint8Array(decodeBase64Url(p.lmPublicKey as string)!);
  const hostDigest = new Uint8Array(decodeBase64Url(p.hostDigest as string)!);
  const publicKey = publicKeyFromRaw(lmPublicKeyRaw);
  if (!publicKey) return fail('MALFORMED', 'The sync request is not valid: lmPublicKey is not an Ed25519 public key.');
  if (envelope.value.kid !== p.lmid || deriveLmid(lmPublicKeyRaw, hostDigest) !== p.lmid) {
    return fail('LMID_MISMATCH', 'The sync request names an LMID that does not derive from the License Manager key and host inside it.');
  }
  if (!verifyEnvelope(envelope.value, publicKey)) {
    return fail('SIGNATURE_INVALID', 'The sync request was altered: its signature does not match the License Manager key inside it.');
  }
  const known = p.known as { licenseId: string; serial: number } | null;
  const host = p.host as { hostname: string; os: string };
  return ok({
    lmid: p.lmid as string,
    onlineKey: p.onlineKey as string,
    known: known === null ? null : { licenseId: known.licenseId, serial: known.serial },
    usage: Object.fromEntries(Object.entries(p.usage as Record<string, number>)),
    lmVersion: p.lmVersion as string,
    host: { hostname: host.hostname, os: host.os },
    lmPublicKeyRaw,
    hostDigest,
    clockMark: typeof p.clockMark === 'string' ? p.clockMark : null,
  });
}

/** LC's signed statement "my clock has reached lcTime", shared by every answer for up to 60 s. */
export function makeTimeToken(lcTime: number, signer: Signer): string {
  return sealEnvelope('sync', signer, { msg: TIME_MSG, lcTime: new Date(lcTime).toISOString() });
}

/** The first problem with a request body's fields as a sentence, or null. */
function checkRequestFields(p: Readonly<Record<string, unknown>>): string | null {
  if (typeof p.lmid !== 'string' || p.lmid.length === 0 || p.lmid.length > 32) return 'lmid must be an LMID.';
  if (!isBytes32(p.lmPublicKey)) return 'lmPublicKey must be 32 bytes in base64url.';
  if (!isBytes32(p.hostDigest)) return 'hostDigest must be 32 bytes in base64url.';
  const onlineKey = parseOnlineKey(p.onlineKey);
  if (!onlineKey.ok || onlineKey.value !== p.onlineKey) return 'onlineKey must be a valid online key in its canonical form.';
  return checkKnown(p.known) ?? checkUsage(p.usage) ?? checkHost(p.lmVersion, p.host) ?? checkClockMark(p.clockMark);
}

function checkClockMark(mark: unknown): string | null {
  if (mark === undefined) return null;
  return typeof mark === 'string' && mark.length <= 40 && parseIsoTime(mark) !== null ? null : 'clockMark must be an ISO 8601 time.';
}

function checkKnown(known: unknown): string | null {
  if (known === null) return null;
  if (!isPlainObject(known)) return 'known must be null or { licenseId, serial }.';
  if (typeof known.licenseId !== 'string' || !LICENSE_ID.test(known.licenseId)) return 'known.licenseId must look like lic_...';
  const serial = known.serial;
  return Number.isSafeInteger(serial) && (serial as number) >= 1 ? null : 'known.serial must be a whole number from 1.';
}

function checkUsage(usage: unknown): string | null {
  if (!isPlainObject(usage)) return 'usage must be an object of roles to seats in use.';
  const entries = Object.entries(usage);
  if (entries.length > MAX_USAGE_ROLES) return `usage names too many roles (at most ${MAX_USAGE_ROLES}).`;
  for (const [role, seats] of entries) {
    if (!NAME.test(role)) return `usage role "${role}" is not a role name.`;
    if (!Number.isInteger(seats) || (seats as number) < 0 || (seats as number) > MAX_SEATS) {
      return `usage of "${role}" must be a whole number from 0 to ${MAX_SEATS}.`;
    }
  }
  return null;
}

function checkHost(lmVersion: unknown, host: unknown): string | null {
  if (!isText(lmVersion, 50) || lmVersion === '') return 'lmVersion must be text of 1 to 50 characters.';
  if (!isPlainObject(host)) return 'host must be { hostname, os }.';
  if (!isText(host.hostname, 253)) return 'host.hostname must be text of at most 253 characters.';
  return isText(host.os, 100) ? null : 'host.os must be text of at most 100 characters.';
}

function isBytes32(value: unknown): boolean {
  return typeof value === 'string' && decodeBase64Url(value)?.length === 32;
}

function isText(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length <= max && !CONTROL.test(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}
