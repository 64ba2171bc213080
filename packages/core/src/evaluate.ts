/**
 * evaluate(): what a license means at a moment, on a License Manager. Pure: time, identity and the highest time
 * seen are passed in. The degrade schedule is the signed one: warn from warnDays before expiry, keep working
 * graceDays after it, then stop.
 */
import type { Code, LicenseStatus } from './codes.js';
import type { License } from './license.js';
import { readLicense } from './license.js';
import type { TrustBundle } from './keyring.js';
import type { Failure } from './result.js';
import { DAY_MS, isoDate, toMs } from './time.js';

export const DEFAULT_CLOCK_TOLERANCE_MS = 10 * 60_000;

export interface EvaluationContext {
  readonly now: Date | number;
  /** This License Manager's LMID (canonical). */
  readonly lmid: string;
  /** The product asking. A license for another product never grants anything. */
  readonly product: string;
  /** The highest trusted time seen so far (local clock or signed LC time); a clock set back past it is tampering. */
  readonly highWaterTime?: Date | number | null;
  readonly clockToleranceMs?: number;
  /** The serial already held for a license id: an older copy of the same license is refused. */
  readonly knownSerial?: { readonly licenseId: string; readonly serial: number } | null;
}

export interface Evaluation {
  readonly valid: boolean;
  readonly status: LicenseStatus;
  readonly code: Code;
  readonly detail: string;
  /** Whole days until expiry (negative after it); null when there is no usable license. */
  readonly daysLeft: number | null;
}

/** The verdict on a verified license (or on none: NotExist). */
export function evaluate(license: License | null, context: EvaluationContext): Evaluation {
  if (license === null)
    return verdict(
      'NotExist',
      'NO_LICENSE',
      'No license is loaded. Load a license key into the License Manager (tessera-lm load, or its console page).',
      null,
    );
  const now = toMs(context.now);
  const tolerance = context.clockToleranceMs ?? DEFAULT_CLOCK_TOLERANCE_MS;

  if (license.product !== context.product) {
    return invalid('PRODUCT_MISMATCH', `This license is for ${license.product}, not for ${context.product}.`);
  }
  if (license.lmid !== context.lmid) {
    return invalid(
      'LMID_MISMATCH',
      `This license is bound to License Manager ${license.lmid}, but this one is ${context.lmid}. A License Manager copied to another host gets a new LMID; ask the vendor to rebind the license.`,
    );
  }
  const known = context.knownSerial;
  if (known && known.licenseId === license.id && license.serial < known.serial) {
    return invalid(
      'SUPERSEDED',
      `This is an older copy (serial ${license.serial}) of license ${license.id}; serial ${known.serial} is already loaded.`,
    );
  }
  const highWater = context.highWaterTime == null ? null : toMs(context.highWaterTime);
  if (highWater !== null && now < highWater - tolerance) {
    return invalid(
      'CLOCK_TAMPERED',
      `The system clock (${new Date(now).toISOString()}) is behind a time already seen (${new Date(highWater).toISOString()}); it was set back. Correct the clock.`,
    );
  }
  if (license.issuedAtMs > now + tolerance) {
    return invalid(
      'CLOCK_TAMPERED',
      `The system clock (${new Date(now).toISOString()}) is behind the time this license was issued (${license.issuedAt}). Correct the clock.`,
    );
  }
  if (now < license.startsAtMs) {
    return invalid('NOT_YET_VALID', `This license starts on ${license.startsAt}.`);
  }

  const untilExpiry = license.expiresAtMs - now;
  const daysLeft = untilExpiry > 0 ? Math.ceil(untilExpiry / DAY_MS) : -Math.floor(-untilExpiry / DAY_MS);
  const expiry = license.expiresAt.slice(0, 10); // the signed ISO text already holds the date
  if (untilExpiry > license.warnDays * DAY_MS) {
    return verdict('Normal', 'VALID', `Valid until ${expiry} (${daysLeft} days left).`, daysLeft);
  }
  if (untilExpiry > 0) {
    return verdict(
      'Expiring',
      'EXPIRING',
      `Expires on ${expiry}, in ${daysLeft} day${daysLeft === 1 ? '' : 's'}. Renew it to keep it running.`,
      daysLeft,
    );
  }
  const graceEnd = license.expiresAtMs + license.graceDays * DAY_MS;
  if (now < graceEnd) {
    const graceLeft = Math.ceil((graceEnd - now) / DAY_MS);
    return verdict(
      'Grace',
      'IN_GRACE',
      `Expired on ${expiry}. Seats keep working for ${graceLeft} more day${graceLeft === 1 ? '' : 's'} of grace, until ${isoDate(graceEnd)}; then new seats are refused. Renew now.`,
      daysLeft,
    );
  }
  return {
    valid: false,
    status: 'Expired',
    code: 'EXPIRED',
    detail: `Expired on ${expiry}; its ${license.graceDays} grace days ended on ${isoDate(graceEnd)}. Renew the license, then sync or load the new key.`,
    daysLeft,
  };
}

/** The verdict for a document that could not be read or verified. */
export function evaluationOfFailure(failure: Failure): Evaluation {
  return invalid(failure.code, failure.detail);
}

/** Reads, verifies and evaluates an offline key in one call. */
export function checkLicenseKey(input: unknown, trust: TrustBundle, context: EvaluationContext): Evaluation & { license: License | null } {
  const read = readLicense(input, trust);
  const verdict = read.ok ? evaluate(read.value, context) : evaluationOfFailure(read);
  const license = read.ok ? read.value : null;
  return { valid: verdict.valid, status: verdict.status, code: verdict.code, detail: verdict.detail, daysLeft: verdict.daysLeft, license };
}

function verdict(status: LicenseStatus, code: Code, detail: string, daysLeft: number | null): Evaluation {
  return { valid: status === 'Normal' || status === 'Expiring' || status === 'Grace', status, code, detail, daysLeft };
}

function invalid(code: Code, detail: string): Evaluation {
  return { valid: false, status: 'Invalid', code, detail, daysLeft: null };
}
