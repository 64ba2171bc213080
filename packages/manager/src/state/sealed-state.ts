/**
 * The guards that must never go back (DESIGN decision 9), kept next to the identity key in `identity.seal` rather
 * than only in state.db: the clock high-water mark, the newest vendor-signed time accepted, the highest serial
 * accepted per license id, and the newest root-signed trust bundle. Deleting or replacing state.db resets none of
 * them.
 *
 * Sealed with HMAC-SHA256 under a key derived (HKDF) from the identity seed. The content is not secret, only its
 * integrity matters, so a MAC over readable JSON is enough (support can read the file; AES-GCM would hide it for
 * nothing), and the derived key keeps the seed from serving two purposes. What the seal buys is bounded: it turns
 * "edit a JSON field or a SQLite row" into "write a program with the identity key", and a seal copied from another
 * License Manager does not verify. It cannot stop someone who reads the identity key from resealing, nor the
 * restore of an older data path backup: the threat model says so.
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { decodeBase64Url, encodeBase64Url, fail, ok, parseIsoTime } from '@tessera/core';
import type { Result } from '@tessera/core';
import { readFileIfExists, writeFileAtomic } from './files.js';

export const SEAL_FILE = 'identity.seal';
const FORMAT = 'tessera-lm-seal';
const LICENSE_ID = /^lic_[A-Za-z0-9_-]{1,64}$/;
const MAX_LICENSES = 10_000;

export interface SealedState {
  /** The clock high-water mark (epoch ms), or null before the first reading. */
  readonly highWater: number | null;
  /** The newest vendor-signed time accepted (an LC time token, a clock reset): a correction must be newer. */
  readonly vendorTime: number | null;
  /** The highest serial ever accepted, per license id. */
  readonly serials: Readonly<Record<string, number>>;
  /** The highest trust bundle serial ever accepted (0: none). */
  readonly bundleSerial: number;
  /** The text of the newest root-signed trust bundle, or null. */
  readonly bundle: string | null;
}

export const EMPTY_SEALED_STATE: SealedState = { highWater: null, vendorTime: null, serials: {}, bundle: null, bundleSerial: 0 };

/** The key that seals: HKDF-SHA256 of the identity's 32-byte Ed25519 seed, for this purpose only. */
export function sealKey(identitySeed: Uint8Array): Buffer {
  return Buffer.from(hkdfSync('sha256', identitySeed, 'tessera/lm-seal', 'identity.seal v1', 32));
}

export function sealPath(dataPath: string): string {
  return join(dataPath, SEAL_FILE);
}

/** The file's text: the state as readable JSON with its MAC. */
export function sealState(state: SealedState, key: Uint8Array): string {
  const body = canonical(state);
  return JSON.stringify({ format: FORMAT, v: 1, ...JSON.parse(body), mac: mac(body, key) }, null, 2) + '\n';
}

/**
 * Reads a sealed state: MALFORMED when it is not one (damaged, cut short, fields of the wrong kind),
 * SIGNATURE_INVALID when its MAC does not match this identity (edited, or copied from another License Manager).
 */
export function unsealState(text: string, key: Uint8Array): Result<SealedState> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('MALFORMED', 'it is not valid JSON (damaged or cut short).');
  }
  const file = (typeof json === 'object' && json !== null && !Array.isArray(json) ? json : {}) as Record<string, unknown>;
  if (file.format !== FORMAT || file.v !== 1) return fail('MALFORMED', `it is not a sealed state ("format": "${FORMAT}", "v": 1).`);
  const state = readFields(file);
  if (!state) return fail('MALFORMED', 'one of its fields is missing or of the wrong kind.');
  const expected = decodeBase64Url(typeof file.mac === 'string' ? file.mac : '');
  const actual = Buffer.from(mac(canonical(state), key), 'base64url');
  if (!expected || expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return fail(
      'SIGNATURE_INVALID',
      "its seal does not match this License Manager's identity key: it was edited, or it belongs to another one.",
    );
  }
  return ok(state);
}

/** The sealed state of a data path, null when there is none; a file that is not a valid seal is a failure. */
export function readSealedState(dataPath: string, key: Uint8Array): Result<SealedState | null> {
  const text = readFileIfExists(sealPath(dataPath));
  return text === null ? ok(null) : unsealState(text, key);
}

/** Writes the sealed state crash-safely (temp file, fsync, rename). */
export function writeSealedState(dataPath: string, state: SealedState, key: Uint8Array): void {
  writeFileAtomic(sealPath(dataPath), sealState(state, key), 0o600);
}

/**
 * Two sealed states as one (replicas sharing a database each hold one): nothing goes back, so serials and the
 * bundle take the higher, the vendor time the newer. The mark is the one exception: a vendor-signed clock reset
 * (offline from a request code, online from a sync) lowers it and sets the vendor time, so the state holding the
 * newer vendor time has the say over the mark; with the same vendor time, the higher mark. (A License Center time
 * token raises the vendor time too but never lowers a mark, so a replica that synced last may carry a mark a little
 * behind another's, by the difference between the replicas' clocks. Whoever holds the database and ha.secret can
 * write any state: docs/threat-model.md, replicas.) Commutative, so the order replicas meet in does not matter.
 */
export function mergeSealedStates(a: SealedState, b: SealedState): SealedState {
  const serials: Record<string, number> = { ...a.serials };
  for (const [id, serial] of Object.entries(b.serials)) serials[id] = Math.max(serials[id] ?? 0, serial);
  // The same serial is the same bundle in practice; a fixed choice on a tie keeps the merge commutative anyway.
  const bundleFrom =
    b.bundleSerial !== a.bundleSerial ? (b.bundleSerial > a.bundleSerial ? b : a) : (b.bundle ?? '') > (a.bundle ?? '') ? b : a;
  const newer = later(a.vendorTime, b.vendorTime);
  const highWater = newer === 0 ? maxTime(a.highWater, b.highWater) : newer > 0 ? a.highWater : b.highWater;
  return {
    highWater,
    vendorTime: newer >= 0 ? a.vendorTime : b.vendorTime,
    serials,
    bundleSerial: bundleFrom.bundleSerial,
    bundle: bundleFrom.bundle,
  };
}

/** True when both states say the same (the MAC would be the same). */
export function sameSealedState(a: SealedState, b: SealedState): boolean {
  return canonical(a) === canonical(b);
}

/** > 0 when a is later than b (null is earliest), 0 when equal. */
function later(a: number | null, b: number | null): number {
  return (a ?? -Infinity) === (b ?? -Infinity) ? 0 : (a ?? -Infinity) > (b ?? -Infinity) ? 1 : -1;
}

function maxTime(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.max(a, b);
}

function mac(body: string, key: Uint8Array): string {
  return encodeBase64Url(createHmac('sha256', key).update('tessera/lm-seal/').update(body).digest());
}

/** One text per state, whatever order the file had its members in: what the MAC covers. */
function canonical(state: SealedState): string {
  const serials = Object.keys(state.serials)
    .sort()
    .map((id) => [id, state.serials[id]!] as const);
  return JSON.stringify({
    highWater: iso(state.highWater),
    vendorTime: iso(state.vendorTime),
    serials: Object.fromEntries(serials),
    bundleSerial: state.bundleSerial,
    bundle: state.bundle,
  });
}

function readFields(file: Record<string, unknown>): SealedState | null {
  const highWater = file.highWater === null ? null : parseIsoTime(file.highWater);
  const vendorTime = file.vendorTime === null ? null : parseIsoTime(file.vendorTime);
  if ((file.highWater !== null && highWater === null) || (file.vendorTime !== null && vendorTime === null)) return null;
  const serials = file.serials;
  if (typeof serials !== 'object' || serials === null || Array.isArray(serials)) return null;
  const entries = Object.entries(serials);
  if (entries.length > MAX_LICENSES || !entries.every(([id, serial]) => LICENSE_ID.test(id) && isSerial(serial))) return null;
  if (!(file.bundleSerial === 0 || isSerial(file.bundleSerial))) return null;
  if (file.bundle !== null && (typeof file.bundle !== 'string' || !file.bundle.startsWith('tessera-trust:'))) return null;
  return {
    highWater,
    vendorTime,
    serials: Object.fromEntries(entries) as Record<string, number>,
    bundleSerial: file.bundleSerial as number,
    bundle: file.bundle as string | null,
  };
}

function isSerial(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
