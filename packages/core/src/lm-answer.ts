/**
 * The License Manager's signed answer to "what do you hold now?" (GET /v1/license?nonce=…). The SDK sends a new
 * random nonce each time and the LM signs it back with its own key (the key its LMID derives from), with the
 * license it holds and its clock. A recorded answer served again (by a proxy, or by a fake LM replaying a real one
 * after the license lapsed) carries an old nonce and is refused STALE_ANSWER; the SDK then decides on the license
 * itself, on its own clock (DESIGN decision 8).
 */
import type { KeyObject } from './crypto.js';
import { parseEnvelope, sealEnvelope, verifyEnvelope } from './envelope.js';
import { checkWholeNumber, describeValue, isPlainObject } from './fields.js';
import { fail, ok } from './result.js';
import type { Result } from './result.js';
import { parseIsoTime } from './time.js';

export const LM_ANSWER_MSG = 'license-now';
/** A nonce is 16 to 64 base64url characters: at least 96 random bits. */
export const NONCE = /^[A-Za-z0-9_-]{16,64}$/;
const LICENSE_ID = /^lic_[A-Za-z0-9_-]{1,64}$/;

export interface LmAnswerBody {
  readonly nonce: string;
  readonly lmid: string;
  /** The license the LM holds, or null. */
  readonly license: { readonly id: string; readonly serial: number } | null;
  /** The serial of the root-signed trust bundle it holds, or null when it holds none. */
  readonly bundleSerial: number | null;
  /** The LM's clock when it answered. */
  readonly lmTime: string;
  /** The highest trusted time the LM has seen (its clock high-water mark), or null. */
  readonly highWater: string | null;
}

export interface LmAnswer extends LmAnswerBody {
  readonly lmTimeMs: number;
  readonly highWaterMs: number | null;
}

/** Signs an answer with the LM's key; its kid is the LMID. */
export function signLmAnswer(body: LmAnswerBody, lm: { readonly lmid: string; readonly privateKey: KeyObject }): string {
  return sealEnvelope('answer', { kid: lm.lmid, privateKey: lm.privateKey }, { msg: LM_ANSWER_MSG, ...body });
}

/**
 * Reads an answer as the SDK does: signed by the LM it asked (kid and key), for the nonce it sent, and well formed.
 * The caller has already checked that the LMID derives from `publicKey`.
 */
export function readLmAnswer(input: unknown, expected: { lmid: string; publicKey: KeyObject; nonce: string }): Result<LmAnswer> {
  const envelope = parseEnvelope(input, 'answer');
  if (!envelope.ok) return envelope;
  if (envelope.value.kid !== expected.lmid) {
    return fail('SIGNATURE_INVALID', `The License Manager's answer is signed by ${envelope.value.kid}, not by ${expected.lmid}.`);
  }
  if (!verifyEnvelope(envelope.value, expected.publicKey)) {
    return fail('SIGNATURE_INVALID', "The License Manager's answer was altered: its signature does not match its key.");
  }
  const p = envelope.value.payload;
  if (p.msg !== LM_ANSWER_MSG) return fail('MALFORMED', `The License Manager's answer has msg ${describeValue(p.msg)}.`);
  if (p.nonce !== expected.nonce) {
    return fail(
      'STALE_ANSWER',
      "The License Manager's answer is not for this request (another nonce): an answer recorded earlier was served again.",
    );
  }
  if (p.lmid !== expected.lmid) return fail('MALFORMED', "The License Manager's answer names another LMID.");
  const lmTimeMs = parseIsoTime(p.lmTime);
  const highWaterMs = p.highWater === null ? null : parseIsoTime(p.highWater);
  if (lmTimeMs === null || (p.highWater !== null && highWaterMs === null)) {
    return fail('MALFORMED', "The License Manager's answer has no valid lmTime or highWater.");
  }
  const license = p.license;
  if (
    license !== null &&
    !(
      isPlainObject(license) &&
      typeof license.id === 'string' &&
      LICENSE_ID.test(license.id) &&
      checkWholeNumber(license.serial, 'serial', 1, Number.MAX_SAFE_INTEGER) === null
    )
  ) {
    return fail('MALFORMED', "The License Manager's answer names its license without a valid id and serial.");
  }
  if (p.bundleSerial !== null && checkWholeNumber(p.bundleSerial, 'bundleSerial', 1, Number.MAX_SAFE_INTEGER) !== null) {
    return fail('MALFORMED', "The License Manager's answer has no valid bundleSerial.");
  }
  return ok({
    nonce: p.nonce,
    lmid: p.lmid,
    license: license === null ? null : { id: license.id as string, serial: license.serial as number },
    bundleSerial: p.bundleSerial as number | null,
    lmTime: p.lmTime as string,
    highWater: p.highWater as string | null,
    lmTimeMs,
    highWaterMs,
  });
}
