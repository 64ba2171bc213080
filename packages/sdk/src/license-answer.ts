/**
 * The license a GET /v1/license answer shows, accepted only as the vendor's and as the LM's answer to this very
 * request (DESIGN decision 8). In order: the LMID derives from the LM's key; the LM signed this request's nonce
 * (a recorded answer is STALE_ANSWER); the trust bundle is signed by a root the product was built with
 * (UNTRUSTED_ROOT) and is the one the signed answer names, not older than one this process accepted; the license
 * verifies with that bundle and is the one the signed answer names. Then the SDK evaluates it itself, on its own
 * clock, with the highest time seen: the LM's status and code are information, never the verdict.
 */
import { evaluate, readLicense, readLmAnswer, readSignedTrustBundle } from '@tessera/core';
import type { Clock, Evaluation, License, SignedTrustBundle, TrustRoot } from '@tessera/core';
import { newNonce } from './lm-client.js';
import type { LicenseAnswer, LmClient } from './lm-client.js';
import { processSeen } from './seen.js';
import type { Seen } from './seen.js';
import type { LicenseStatusName } from './types.js';
import { checkIdentity, licenseFacts } from './verify.js';
import type { Checked, LicenseFacts, LicenseRef, LmIdentity } from './verify.js';

/** What a verified answer means: the LM, its license (or none) and the SDK's own verdict on it. */
export interface VerifiedLicense {
  identity: LmIdentity;
  /** null when the LM (as its signed answer says) holds no license. */
  license: LicenseRef | null;
  facts: LicenseFacts | null;
  /** evaluate() on the SDK's clock: status, code, detail, daysLeft. */
  evaluation: Evaluation;
  /** The evaluation's status, or Syncing when the LM holds no license yet and says it waits for its first sync. */
  status: LicenseStatusName;
  /** The verified license itself, evaluated again on the SDK's clock while the LM is silent. */
  document: License | null;
  /** The LM's signed clock high-water mark of this answer (ms), or null. */
  lmHighWater: number | null;
}

export interface AnswerContext {
  url: string;
  product: string;
  roots: readonly TrustRoot[];
  clock: Clock;
  /** The nonce this request sent. */
  nonce: string;
  /** What was accepted before; default this process's (seen.ts). */
  seen?: Seen;
}

/** The bundle and license read from the last answer's texts: reading the same texts again gives the same result. */
export interface ChainReading {
  trust: string;
  license: string;
  outcome: Checked<{ bundle: SignedTrustBundle; license: License }>;
}

const fail = (code: string, detail: string): Checked<never> => ({ ok: false, code, detail });

/**
 * Checks an answer of GET /v1/license as described above. `last` is the previous reading, reused when the texts
 * are the same, so a poll of an unchanged license costs one signature check (the answer's). Never throws.
 */
export function readLicenseAnswer(
  body: LicenseAnswer,
  context: AnswerContext,
  last: ChainReading | null,
): { outcome: Checked<VerifiedLicense>; reading: ChainReading | null } {
  const identity = checkIdentity(body);
  if (!identity.ok) return { outcome: identity, reading: last };
  const { lmid, publicKey } = identity.value;
  if (typeof body.answer !== 'string') {
    const detail = `The License Manager at ${context.url} does not sign its answers, so what it says cannot be checked: it is older than this SDK. Upgrade tessera-lm to the release of this SDK or a later one.`;
    return { outcome: fail('UNSUPPORTED_VERSION', detail), reading: last };
  }
  const answer = readLmAnswer(body.answer, { lmid, publicKey, nonce: context.nonce });
  if (!answer.ok) return { outcome: fail(answer.code, answer.detail), reading: last };
  const named = answer.value.license;
  const seen = context.seen ?? processSeen;
  const { now, highWater } = seen.readClock(context.clock);
  const lmHighWater = answer.value.highWaterMs ?? null;
  const highWaterTime = Math.max(lmHighWater ?? -Infinity, highWater ?? -Infinity);
  const evaluationContext = { now, lmid, product: context.product, highWaterTime: Number.isFinite(highWaterTime) ? highWaterTime : null };

  if (named === null) {
    if (body.license !== null) return { outcome: notNamed(null, 'a license'), reading: last };
    const evaluation = evaluate(null, evaluationContext);
    const status: LicenseStatusName = body.status === 'Syncing' ? 'Syncing' : evaluation.status;
    const value: VerifiedLicense = {
      identity: identity.value,
      license: null,
      facts: null,
      evaluation,
      status,
      document: null,
      lmHighWater,
    };
    return { outcome: { ok: true, value }, reading: last };
  }
  if (typeof body.trust !== 'string') {
    const detail = `The License Manager at ${context.url} holds no trust bundle signed by the vendor's root (its trust file is of an earlier release), so the license it holds cannot be verified. Give it the vendor's current trust file (tessera-center trust-bundle).`;
    return { outcome: fail('UNTRUSTED_ROOT', detail), reading: last };
  }
  if (body.license === null) return { outcome: notNamed(named, 'no license'), reading: last };

  const reading =
    last && last.trust === body.trust && last.license === body.license
      ? last
      : { trust: body.trust, license: body.license, outcome: readChain(body.trust, body.license, context.roots) };
  if (!reading.outcome.ok) return { outcome: reading.outcome, reading };
  const { bundle, license } = reading.outcome.value;

  if (bundle.serial !== answer.value.bundleSerial) {
    const detail = `The trust bundle served (serial ${bundle.serial}) is not the one the License Manager's signed answer names (${String(answer.value.bundleSerial)}): something between altered the answer.`;
    return { outcome: fail('SIGNATURE_INVALID', detail), reading };
  }
  const rootKids = context.roots.map((root) => root.kid);
  const highest = seen.highestBundleSerial(rootKids);
  if (bundle.serial < highest) {
    const detail = `The License Manager holds trust bundle serial ${bundle.serial}, older than serial ${highest} this product already accepted (which may revoke a key the older one trusts). Give it the vendor's current trust file.`;
    return { outcome: fail('SUPERSEDED', detail), reading };
  }
  seen.acceptBundleSerial(rootKids, bundle.serial);
  if (license.id !== named.id || license.serial !== named.serial)
    return { outcome: notNamed(named, `${license.id} serial ${license.serial}`), reading };

  const evaluation = evaluate(license, { ...evaluationContext, knownSerial: seen.knownLicenseSerial(lmid, license.id) });
  if (evaluation.code !== 'PRODUCT_MISMATCH' && evaluation.code !== 'LMID_MISMATCH' && evaluation.code !== 'SUPERSEDED') {
    seen.acceptLicenseSerial(lmid, license.id, license.serial);
  }
  const value: VerifiedLicense = {
    identity: identity.value,
    license: { id: license.id, serial: license.serial },
    facts: licenseFacts(license),
    evaluation,
    status: evaluation.status,
    document: license,
    lmHighWater,
  };
  return { outcome: { ok: true, value }, reading };
}

/**
 * The last verified license evaluated again on the SDK's clock, for a round in which the LM is silent: an outage
 * grace covers the LM's silence, never the license's own expiry (nor a clock set back).
 */
export function reevaluate(verified: VerifiedLicense, context: { product: string; clock: Clock; seen?: Seen }): VerifiedLicense {
  const license = verified.document;
  if (!license) return verified;
  const { lmid } = verified.identity;
  const seen = context.seen ?? processSeen;
  const { now, highWater } = seen.readClock(context.clock);
  const highWaterTime = Math.max(verified.lmHighWater ?? -Infinity, highWater ?? -Infinity);
  const evaluation = evaluate(license, {
    now,
    lmid,
    product: context.product,
    highWaterTime: Number.isFinite(highWaterTime) ? highWaterTime : null,
    knownSerial: seen.knownLicenseSerial(lmid, license.id),
  });
  return { ...verified, evaluation, status: evaluation.status };
}

/**
 * What one address answered to GET /v1/license: a verified license (and the SDK's verdict), an answer that failed
 * a check, or no usable answer (`code` UNAUTHORIZED when the LM refused for want of the seat secret).
 */
export type LicenseView =
  | { kind: 'verified'; verified: VerifiedLicense }
  | { kind: 'failed'; code: string; detail: string }
  | { kind: 'none'; detail: string; code: string | null };

/** GET /v1/license at one address with a fresh nonce, verified and evaluated as readLicenseAnswer() does. */
export async function askLicense(
  client: LmClient,
  context: Omit<AnswerContext, 'url' | 'nonce'>,
  last: ChainReading | null,
): Promise<{ view: LicenseView; reading: ChainReading | null }> {
  const nonce = newNonce();
  const reply = await client.license(nonce);
  if (reply.kind === 'unreachable') return { view: { kind: 'none', detail: reply.detail, code: null }, reading: last };
  if (reply.kind === 'refused') {
    const unauthorized = reply.code === 'UNAUTHORIZED';
    const detail = unauthorized
      ? reply.message
      : `it answered GET /v1/license with HTTP ${reply.httpStatus} ${reply.code}: ${reply.message}`;
    return { view: { kind: 'none', detail, code: unauthorized ? 'UNAUTHORIZED' : null }, reading: last };
  }
  const checked = readLicenseAnswer(reply.body, { ...context, url: client.url, nonce }, last);
  const { outcome } = checked;
  const view: LicenseView = outcome.ok
    ? { kind: 'verified', verified: outcome.value }
    : { kind: 'failed', code: outcome.code, detail: outcome.detail };
  return { view, reading: checked.reading };
}

/** Reads the bundle with the product's roots, then the license with that bundle (the conformance vectors call it too). */
export function readChain(trustText: string, licenseText: string, roots: readonly TrustRoot[]): ChainReading['outcome'] {
  const bundle = readSignedTrustBundle(trustText, roots);
  if (!bundle.ok) return fail(bundle.code, `The License Manager's trust bundle is not the vendor's: ${bundle.detail}`);
  const license = readLicense(licenseText, bundle.value);
  if (!license.ok)
    return fail(license.code, `The license at the License Manager does not verify with the vendor's trust bundle: ${license.detail}`);
  return { ok: true, value: { bundle: bundle.value, license: license.value } };
}

/** The license text is not the one the LM signed for: the unsigned part of the answer was changed on its way. */
function notNamed(named: LicenseRef | null, served: string): Checked<never> {
  const signed = named ? `license ${named.id} serial ${named.serial}` : 'no license';
  return fail(
    'SIGNATURE_INVALID',
    `The License Manager's signed answer names ${signed}, but the answer carries ${served}: something between altered the answer.`,
  );
}
